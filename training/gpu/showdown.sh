#!/usr/bin/env bash
# The model showdown on one lent GPU machine, after the pieces are stashed in /root/m (see
# training/README.md): both bases fine-tuned side by side, then scored and timed on the GPU.
#   bash training/gpu/showdown.sh prepare   # wheels, data, both bases converted, good tokenizers
#   bash training/gpu/showdown.sh train     # both QLoRA runs in turn, detached (they outlive the call)
#   bash training/gpu/showdown.sh wait 590 train   # repeat until rc=0 (logs: /root/logs/train-<base>.log)
#   bash training/gpu/showdown.sh evaluate  # dev + ami_dev for both adapters, then the bench, detached
#   bash training/gpu/showdown.sh collect   # adapters, predictions, metrics and logs into $OUT
# Two Gemma candidates side by side (another seed beside the config's), both scored, the README
# demo run with each, then the GPU bench (after `prepare gemma-3-270m`; SmolLM2 not needed):
#   bash training/gpu/showdown.sh gemma; bash training/gpu/showdown.sh wait 590 gemma
# The shipped adapter's GPU figures only (no training; see the gpu step for what /root/m holds):
#   bash training/gpu/showdown.sh gpu; bash training/gpu/showdown.sh wait 590 gpu
# or, after prepare, everything in one detached job (Gemma's evaluations and the bench run while
# SmolLM2 trains):
#   bash training/gpu/showdown.sh pipeline; bash training/gpu/showdown.sh wait 590 pipeline
set -euo pipefail
here="$(dirname "$0")"
dev() { bash "$here/device.sh" "$@"; }
export PYTHONPATH="/root/site:$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
GEMMA_SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
SMOL_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
# Wheels, the eval sets beside the repository, `make data` (in the background) and the bases named.
setup() {
  python -m pip install -q --no-index --no-deps --target /root/site /root/m/whl/*.whl
  mkdir -p ../shared && cp -r /root/m/shared/. ../shared/
  dev data > /root/data.log 2>&1 & local data=$!
  for base in "$@"; do
    case "$base" in
      smollm2-135m) dev assemble smollm2-135m "$SMOL_SHA"; dev tokenizer smollm2-135m /root/m/t-smol-tok.tgz ;;
      gemma-3-270m) dev assemble gemma-3-270m "$GEMMA_SHA"; dev tokenizer gemma-3-270m /root/m/t-gemma-tok.tgz ;;
    esac
  done
  wait "$data" || { cat /root/data.log; exit 1; }
  wc -l training/data/build/*.jsonl
}
# One adapter's evaluations on both sets (see evaluate_dir).
evaluate_one() { evaluate_dir "$1" "$1-actions"; }
# One QLoRA run into /root/ad (extra arguments go to `actionbot train`), logged in /root/logs.
train_one() {
  local base="$1"; shift
  python -m actionbot train --config "training/configs/$base.yaml" --output "/root/ad/$base-actions" \
    "$@" > "/root/logs/train-$base.log" 2>&1
}
# A second Gemma run from the same config with another seed (init and data order), 1,000 steps
# and batches of 8 x 2 accumulated (half the activations, so it fits beside the first run: that
# one peaks at 63 GB), into /root/ad/gemma-3-270m-seed29: a second candidate for the shipped adapter.
train_variant() {
  sed -e 's/^seed: .*/seed: 29/' -e 's/^max_steps: .*/max_steps: 1000/' \
    -e 's/^batch_size: .*/batch_size: 8/' -e 's/^grad_accum: .*/grad_accum: 2/' \
    training/configs/gemma-3-270m.yaml > /root/gemma-3-270m-seed29.yaml
  python -m actionbot train --config /root/gemma-3-270m-seed29.yaml \
    --output /root/ad/gemma-3-270m-seed29 > /root/logs/train-gemma-3-270m-seed29.log 2>&1
}
# The README demo with adapter directory $1, on the GPU and on the CPU (the e2e test's device).
demo_check() {
  local name="$1" device
  for device in cuda cpu; do
    python -m actionbot extract examples/product_demo.txt --date 2025-03-10 --device "$device" \
      --model gemma-3-270m --adapter "/root/ad/$name" --output json \
      > "/root/ev/demo-$name-$device.json" 2> "/root/logs/demo-$name-$device.log" || true
  done
}
# dev + ami_dev for the adapter directory /root/ad/$2 of base $1, beside each other: dev 16
# meetings a call, ami_dev 64 (its chunks are many).
# COPY_BIASES (default "0"): one evaluation per ACTIONBOT_COPY_BIAS value, named .cbN past 0.
evaluate_dir() {
  local base="$1" name="$2" set batch cb tag
  for cb in ${COPY_BIASES:-0}; do
    tag=""; [ "$cb" = 0 ] || tag=".cb$cb"
    for set in dev ami_dev; do
      batch=16; [ "$set" = ami_dev ] && batch=64
      # 16 torch threads per process on the 16 cores starved the grammar masks (training/README.md).
      ACTIONBOT_THREADS="${ACTIONBOT_THREADS:-4}" ACTIONBOT_COPY_BIAS="$cb" \
        ACTIONBOT_BATCH_SIZE=$((batch * 4)) python -m actionbot eval \
        "../shared/data/$set.jsonl" --device cuda --batch "$batch" --model "$base" \
        --adapter "/root/ad/$name" -o "/root/ev/$name$tag.$set.preds.jsonl" \
        --metrics "/root/ev/$name$tag.$set.metrics.json" > "/root/logs/ev-$name$tag-$set.log" 2>&1 &
    done
  done
  wait
}
# The GPU bench of the Gemma adapter (10 dev meetings, a short length sweep, batch 1/8/32).
BENCH=(python -m actionbot bench --device cuda --limit 10 --sweep 100,1000,4000
  --adapter /root/ad/gemma-3-270m-actions -o /root/ev/bench.gpu.json --plot /root/ev/bench.gpu.png)
step="${1:?step: prepare | train | pipeline | gemma | gpu | wait | evaluate | collect | smol-only}"
case "$step" in
  prepare)
    shift; bases=("$@"); [ "${#bases[@]}" -gt 0 ] || bases=(smollm2-135m gemma-3-270m)
    setup "${bases[@]}"
    # The decoder on CUDA once before anything long depends on it (the base alone, no adapter).
    python -m actionbot extract examples/product_demo.txt --date 2025-03-10 --device cuda \
      --adapter none --output table
    ;;
  train)
    # One after the other: side by side they need ~137 GB at peak (Gemma's 262k-vocabulary
    # logits), and the Gemma run died of CUDA OOM next to SmolLM2 on the 139 GB H200.
    mkdir -p /root/ad /root/logs
    dev bg train bash "$0" train-job
    ;;
  train-job)
    train_one gemma-3-270m && train_one smollm2-135m
    ;;
  pipeline)
    mkdir -p /root/ad /root/ev /root/logs
    dev bg pipeline bash "$0" pipeline-job
    ;;
  pipeline-job)
    train_one gemma-3-270m
    { evaluate_one gemma-3-270m; demo_check gemma-3-270m-actions; } &
    train_one smollm2-135m
    evaluate_one smollm2-135m
    wait
    "${BENCH[@]}" > /root/logs/bench.log 2>&1
    tail -n 4 /root/logs/train-*.log /root/logs/bench.log; cat /root/ev/*.metrics.json
    ;;
  gemma-job)
    # Two Gemma candidates side by side (the GPU is far from busy with one), then each scored and
    # run on the README demo, then the bench alone on the GPU.
    export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True COPY_BIASES="${COPY_BIASES:-0 3}"
    train_one gemma-3-270m & a=$!
    sleep 90; train_variant & b=$!
    wait "$a" || true; wait "$b" || true
    # One candidate at a time, the CPU demos after its evaluations: crowded, nothing finished.
    for name in gemma-3-270m-actions gemma-3-270m-seed29; do
      [ -f "/root/ad/$name/format.json" ] || continue
      evaluate_dir gemma-3-270m "$name"; demo_check "$name"
    done
    "${BENCH[@]}" > /root/logs/bench.log 2>&1
    tail -n 4 /root/logs/train-*.log /root/logs/bench.log
    ;;
  gemma)
    mkdir -p /root/ad /root/ev /root/logs
    dev bg gemma bash "$0" gemma-job
    ;;
  wait)
    shift; dev wait "$@"
    ;;
  smol-only)
    # One call: SmolLM2 alone, a shorter schedule, then both eval sets (a short GPU budget).
    steps="${2:-600}"
    setup smollm2-135m
    mkdir -p /root/ad /root/ev /root/logs
    train_one smollm2-135m --max-steps "$steps" --max-minutes 4
    tail -n 3 /root/logs/train-smollm2-135m.log
    evaluate_one smollm2-135m
    tail -n 18 /root/logs/ev-smollm2-135m-*.log
    ;;
  evaluate)
    mkdir -p /root/ev /root/logs
    dev bg evaluate bash "$0" evaluate-job
    ;;
  evaluate-job)
    # One adapter at a time (two processes of 4 threads each), then the bench alone on the GPU.
    for base in gemma-3-270m smollm2-135m; do evaluate_one "$base"; done
    "${BENCH[@]}" > /root/logs/bench.log 2>&1
    ;;
  gpu)
    # The GPU figures of the shipped adapter, with no training: after the Gemma pieces, the
    # wheels, the tokenizer tarball, ../shared and the adapter (as /root/m/ad/) are in /root/m.
    python -m pip install -q --no-index --no-deps --target /root/site /root/m/whl/*.whl
    mkdir -p ../shared /root/ad /root/ev /root/logs && cp -r /root/m/shared/. ../shared/
    dev assemble gemma-3-270m "$GEMMA_SHA"; dev tokenizer gemma-3-270m /root/m/t-gemma-tok.tgz
    cp -r /root/m/ad/gemma-3-270m-actions /root/ad/
    dev bg gpu bash "$0" gpu-job
    ;;
  gpu-job)
    # The demo, dev one meeting at a time (single-request latency), both sets batched, then the
    # bench (CUDA graphs, the eager loop and plain generate() side by side). Each step logs alone.
    ad=/root/ad/gemma-3-270m-actions
    { time python -m actionbot extract examples/product_demo.txt --date 2025-03-10 --device cuda \
        --adapter "$ad" --output json; } > /root/ev/demo-cuda.json 2> /root/logs/demo-cuda.log || true
    gpu_eval() {  # set batch name [env...]
      local set="$1" batch="$2" name="$3"; shift 3
      env "$@" ACTIONBOT_BATCH_SIZE=$((batch * 4)) python -m actionbot eval "../shared/data/$set.jsonl" \
        --device cuda --batch "$batch" --adapter "$ad" -o "/root/ev/$name.$set.preds.jsonl" \
        --metrics "/root/ev/$name.$set.metrics.json" > "/root/logs/ev-$name-$set.log" 2>&1 || true
    }
    gpu_eval dev 1 graphs-b1
    # Where a step's time goes (syncs show GPU time; the rest is Python and the grammar).
    for b in 1 32; do
      ACTIONBOT_BATCH_SIZE=$((b * 4)) python -m cProfile -s tottime -m actionbot eval \
        ../shared/data/dev.jsonl --device cuda --batch "$b" --adapter "$ad" \
        -o "/root/ev/profile-b$b.preds.jsonl" 2>&1 | head -n 80 > "/root/logs/profile-b$b.log" || true
    done
    gpu_eval dev 32 graphs-b32
    gpu_eval ami_dev 64 graphs-b64
    gpu_eval dev 1 eager-b1 ACTIONBOT_CUDA_GRAPHS=0
    ACTIONBOT_BATCH_SIZE=128 python -m actionbot bench --device cuda --limit 10 --sweep 100,1000,4000 \
      --adapter "$ad" -o /root/ev/bench.gpu.json > /root/logs/bench.log 2>&1 || true
    ;;
  collect)
    out="${OUT:?OUT is set by the device tool}"
    # Adapter directories named after the step (all trained ones by default; `collect NAME...`).
    shift; names=("$@")
    [ "${#names[@]}" -gt 0 ] || names=(gemma-3-270m-actions smollm2-135m-actions gemma-3-270m-seed29)
    for name in "${names[@]}"; do
      [ -f "/root/ad/$name/format.json" ] || continue
      # $OUT returns files of at most 16 MiB: join the parts here with `cat NAME.tgz-* > NAME.tgz`.
      tar czf - -C /root/ad --exclude='*.checkpoints' "$name" | split -b 15000000 -d - "$out/$name.tgz-"
    done
    tar czf "$out/results.tgz" -C /root ev logs
    ls -la "$out"
    ;;
  *) echo "unknown step $step" >&2; exit 2 ;;
esac
