"""HFExtractor on a tiny saved model: adapter loading, format checks, the Extractor protocol."""

from __future__ import annotations

import json

import pytest
import torch
from peft import LoraConfig, get_peft_model

from extractor.config import ModelConfig
from extractor.errors import AdapterFormatError, ModelLoadError
from extractor.hf import HFExtractor, cpu_has_fast_bf16, load_extractor, resolve_adapter
from extractor.model import Extractor, GenerationRequest
from extractor.prompt import build_messages
from extractor.schema import PROMPT_FORMAT_VERSION, output_json_schema, parse_items
from tests.extractor.tiny_models import TURNS, tiny_model, tiny_tokenizer


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "tiny-llama"
    tok = tiny_tokenizer()
    tiny_model("llama", len(tok)).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _adapter(base_dir, path, **fmt):
    model = get_peft_model(
        tiny_model("llama", len(tiny_tokenizer())),
        LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False),
    )
    model.save_pretrained(path)
    (path / "format.json").write_text(
        json.dumps({"prompt_format_version": PROMPT_FORMAT_VERSION, "base_model": base_dir.name, **fmt}),
        encoding="utf-8",
    )
    return path


def _config(base_dir, tmp_path, adapter):
    return ModelConfig(
        base=str(base_dir),
        adapter=adapter,
        device="cpu",
        cache_dir=str(tmp_path),
        max_new_tokens=40,
        threads=1,
    )


@pytest.mark.parametrize(
    "fmt,match",
    [
        ({"prompt_format_version": "0"}, "prompt format"),
        ({"base_model": "gemma-3-270m"}, "base"),
    ],
)
def test_adapter_format_mismatch_is_refused(base_dir, tmp_path, fmt, match):
    adapter = _adapter(base_dir, tmp_path / "ad", **fmt)
    with pytest.raises(AdapterFormatError, match=match):
        HFExtractor(_config(base_dir, tmp_path, str(adapter)))


def test_adapter_without_format_json_is_refused(base_dir, tmp_path):
    adapter = _adapter(base_dir, tmp_path / "ad")
    (adapter / "format.json").unlink()
    with pytest.raises(AdapterFormatError, match="format.json"):
        HFExtractor(_config(base_dir, tmp_path, str(adapter)))


def test_missing_adapter_path_is_a_load_error(base_dir, tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        resolve_adapter(_config(base_dir, tmp_path, str(tmp_path / "nope")))


def test_auto_adapter_falls_back_to_few_shot_for_unknown_base(base_dir, tmp_path):
    assert resolve_adapter(_config(base_dir, tmp_path, "auto")) is None


def test_merged_adapter_extracts(base_dir, tmp_path):
    adapter = _adapter(base_dir, tmp_path / "ad")
    ex = load_extractor(_config(base_dir, tmp_path, str(adapter)))
    assert isinstance(ex, Extractor) and not ex.few_shot and ex.load_seconds > 0
    assert not hasattr(ex.model, "peft_config")  # merged into plain weights
    assert ex.count_tokens("Alex will send it") > 0
    req = GenerationRequest(build_messages(TURNS), output_json_schema(max_turn=3))
    outs = ex.generate([req, req])
    assert outs[0] == outs[1]
    parse_items(outs[0])


def test_second_load_reads_the_cached_merge_and_decodes_the_same(base_dir, tmp_path, monkeypatch):
    adapter = _adapter(base_dir, tmp_path / "ad")
    req = GenerationRequest(build_messages(TURNS), output_json_schema(max_turn=3))
    first = load_extractor(_config(base_dir, tmp_path, str(adapter)))
    merged = list((tmp_path / "merged").iterdir())
    assert len(merged) == 1 and (merged[0] / "config.json").is_file()
    import extractor.hf as hf

    monkeypatch.setattr(hf, "_attach_adapter", lambda *a, **k: pytest.fail("merged again"))
    second = load_extractor(_config(base_dir, tmp_path, str(adapter)))
    assert second.generate([req]) == first.generate([req])
    # Other adapter weights: another cache entry, not the stale merge.
    other = _adapter(base_dir, tmp_path / "ad2")
    assert hf.merged_dir(tmp_path, base_dir, other, torch.float32) != merged[0]


def test_corrupt_weights_are_a_load_error(base_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in base_dir.iterdir():
        (broken / f.name).write_bytes(b"garbage" if f.suffix == ".safetensors" else f.read_bytes())
    with pytest.raises(ModelLoadError, match="could not load"):
        HFExtractor(_config(broken, tmp_path, None))


def test_cuda_request_without_gpu_is_a_load_error(base_dir, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    cfg = ModelConfig(base=str(base_dir), adapter=None, device="cuda", cache_dir=str(tmp_path))
    with pytest.raises(ModelLoadError, match="CUDA"):
        HFExtractor(cfg)


@pytest.mark.parametrize(
    ("flags", "fast"),
    [
        ("fpu sse2 avx2 avx512f avx512_bf16 amx_tile", True),
        ("fpu sse2 avx2 avx512f amx_bf16 amx_tile", True),
        ("fpu sse2 avx2 avx512f avx512bw", False),  # AVX512 without bf16: emulated, slower
    ],
)
def test_cpu_bf16_only_where_the_cpu_has_it(tmp_path, flags, fast):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: x\nflags\t\t: {flags}\n", encoding="utf-8")
    assert cpu_has_fast_bf16(cpuinfo) is fast
    assert cpu_has_fast_bf16(tmp_path / "missing") is False  # not Linux: float32


def test_auto_dtype_follows_the_cpu(monkeypatch):
    from extractor import hf

    monkeypatch.setattr(hf, "cpu_has_fast_bf16", lambda: True)
    assert hf._dtype(ModelConfig(device="cpu"), "cpu") is torch.bfloat16
    assert hf._dtype(ModelConfig(device="cpu", dtype="float32"), "cpu") is torch.float32
    monkeypatch.setattr(hf, "cpu_has_fast_bf16", lambda: False)
    assert hf._dtype(ModelConfig(device="cpu"), "cpu") is torch.float32
