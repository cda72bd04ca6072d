#!/usr/bin/env bash
# Steps for a lent GPU machine that has CUDA torch/transformers/peft but no network (see
# training/README.md, "Train on a lent GPU"). Each step is one short call; state lives under /root.
#   bash training/gpu/device.sh wheels            # install the carried .whl/ files into /root/site
#   bash training/gpu/device.sh piece .xfer/g-00  # stash one carried piece of a GGUF in /root/m
#   bash training/gpu/device.sh assemble gemma-3-270m SHA256   # join g-* pieces, check, convert
#   bash training/gpu/device.sh assemble smollm2-135m SHA256   # join s-* pieces, check, convert
#   bash training/gpu/device.sh tokenizer gemma-3-270m tok.tgz # replace the converted tokenizer
#   bash training/gpu/device.sh data              # `make data` on the device, both files at once
#   bash training/gpu/device.sh bg NAME CMD...    # run CMD detached (outlives the call), log in /root/logs
#   bash training/gpu/device.sh wait SECONDS NAME...  # until those jobs end (or SECONDS pass); tails logs
# transformers 5.17 (on the lent H100 in Nov 2026) converts Gemma's GGUF vocabulary without its
# merges (85 tokens for a 21-token sentence). Carry a tarball of tokenizer.json,
# tokenizer_config.json and chat_template.jinja from a laptop conversion (transformers >= 5.24)
# and swap them in before training, or the adapter learns a tokenizer nobody serves.
set -euo pipefail
export PYTHONPATH="/root/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
step="${1:?step: wheels | piece | assemble | tokenizer | data | bg | wait}"
case "$step" in
  wheels)
    mkdir -p /root/site
    python -m pip install -q --no-index --no-deps --target /root/site .whl/*.whl
    python -c "import bitsandbytes, xgrammar, gguf, pydantic, dateparser, emoji; print('wheels ok')"
    ;;
  piece)
    mkdir -p /root/m && cp "${2:?piece path}" /root/m/ && ls -la /root/m
    ;;
  assemble)
    base="${2:?base name}"; want="${3:?sha256}"
    case "$base" in
      gemma-3-270m) prefix=g; gguf=/root/gemma-3-270m-q4_k_m.gguf ;;
      smollm2-135m) prefix=s; gguf=/root/.cache/actionbot/downloads/SmolLM2-135M-Instruct.Q4_1.gguf ;;
      *) echo "unknown base $base" >&2; exit 2 ;;
    esac
    mkdir -p "$(dirname "$gguf")"
    cat /root/m/"$prefix"-* > "$gguf"
    got="$(sha256sum "$gguf" | cut -d' ' -f1)"
    [ "$got" = "$want" ] || { echo "sha256 mismatch for $gguf: $got" >&2; exit 3; }
    python - "$base" "$gguf" <<'PY'
import sys
from pathlib import Path
from extractor.weights import convert_gguf, default_cache_root, is_hf_dir
base, gguf = sys.argv[1], Path(sys.argv[2])
target = default_cache_root() / "models" / base
if not is_hf_dir(target):
    convert_gguf(gguf, target, base, print)
print("ready:", target)
PY
    ;;
  tokenizer)
    base="${2:?base name}"; tgz="${3:?tokenizer tarball}"
    target="$(python -c 'from extractor.weights import default_cache_root as r; print(r())')/models/$base"
    tar xzf "$tgz" -C "$target"
    python - "$target" <<'PY'
import sys
from pathlib import Path
from transformers import AutoTokenizer
from extractor.weights import check_tokenizer
check_tokenizer(AutoTokenizer.from_pretrained(sys.argv[1]), Path(sys.argv[1]))
print("tokenizer ok:", sys.argv[1])
PY
    ;;
  data)
    # The same commands as `make data`; the build is deterministic, so this equals a laptop build.
    mkdir -p training/data/build
    python -m training.data.build --out training/data/build/train.jsonl --n 6000 --seed 13 & a=$!
    python -m training.data.build --out training/data/build/train-s29.jsonl --n 3000 --seed 29 & b=$!
    wait "$a" && wait "$b"
    ;;
  bg)
    name="${2:?job name}"; shift 2
    mkdir -p /root/logs
    # A new session survives the end of this call (see the device README); the exit code lands in .rc.
    setsid nohup bash -c '"$@"; echo $? > /root/logs/'"$name"'.rc' _ "$@" > "/root/logs/$name.log" 2>&1 < /dev/null &
    echo "$!" > "/root/logs/$name.pid"; echo "started $name (pid $!)"
    ;;
  wait)
    limit="${2:?seconds}"; shift 2; end=$((SECONDS + limit))
    while [ "$SECONDS" -lt "$end" ]; do
      left=0; for name in "$@"; do [ -f "/root/logs/$name.rc" ] || left=1; done
      [ "$left" = 0 ] && break; sleep 5
    done
    for name in "$@"; do
      echo "== $name rc=$(cat "/root/logs/$name.rc" 2>/dev/null || echo running)"
      tail -c 1500 "/root/logs/$name.log" | tr '\r' '\n' | tail -n 6
    done
    ;;
  *) echo "unknown step $step" >&2; exit 2 ;;
esac
