"""Decoding over static buffers (the GPU path, run eagerly on CPU) against the dynamic-cache loop."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch

from extractor.decoding import ConstrainedDecoder
from extractor.prompt import build_messages, render_prompt
from extractor.schema import output_json_schema, parse_items
from extractor.static import CAPACITY_STEP, KEEP_SLOTS, StaticSteps
from tests.extractor.tiny_models import ARCHS, TURNS, tiny_model, tiny_tokenizer


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def grammar_dir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("grammars")


@pytest.fixture(scope="module")
def models() -> dict[str, Any]:
    tok = tiny_tokenizer()
    return {arch: tiny_model(arch, len(tok) + 3) for arch in ARCHS}


def _schema(n: int) -> dict[str, Any]:
    schema = copy.deepcopy(output_json_schema(max_turn=3))
    schema["properties"]["action_items"]["minItems"] = n
    return schema


PROMPTS = [render_prompt(tiny_tokenizer(), build_messages(t)) for t in (TURNS, TURNS[:2], TURNS[1:])]


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("jump", [True, False])
@pytest.mark.parametrize("batch_size", [1, 3])
@pytest.mark.parametrize("bucketed", [False, True])
def test_static_buffers_decode_like_the_dynamic_cache(arch, jump, batch_size, bucketed, models, grammar_dir):
    # 200 tokens run past gemma3's 32-token sliding window (the static masks must apply it), and
    # rows of three lengths in one batch test the left padding and rows that finish early.
    tok = tiny_tokenizer()
    kw: dict[str, Any] = {"cache_dir": grammar_dir, "jump_forward": jump, "head_rows": 0, "copy_bias": 2.0}
    dynamic = ConstrainedDecoder(models[arch], tok, static=False, **kw)
    static = ConstrainedDecoder(models[arch], tok, static=True, **kw)
    assert static.static is not None and dynamic.static is None
    static.static.bucketed = bucketed  # feeds padded to graph sizes, as on a GPU
    schemas = [_schema(2), _schema(0), _schema(1)]
    want = dynamic.generate(PROMPTS, schemas, max_new_tokens=200, batch_size=batch_size)
    got = static.generate(PROMPTS, schemas, max_new_tokens=200, batch_size=batch_size)
    assert got == want
    assert parse_items(want[0])  # minItems forces an item: the comparison covers real text


def test_static_path_keeps_the_empty_penalty_and_the_turn_limit(models, grammar_dir):
    tok = tiny_tokenizer()
    kw: dict[str, Any] = {"cache_dir": grammar_dir, "head_rows": 0, "empty_penalty": 6.0}
    schemas = [output_json_schema(max_turn=1)] * 2
    want = ConstrainedDecoder(models["gemma3"], tok, static=False, **kw).generate(
        PROMPTS[:2], schemas, max_new_tokens=120, batch_size=2
    )
    got = ConstrainedDecoder(models["gemma3"], tok, static=True, **kw).generate(
        PROMPTS[:2], schemas, max_new_tokens=120, batch_size=2
    )
    assert got == want
    assert all(item.turn <= 1 for out in got for item in parse_items(out))


def test_slots_are_reused_by_size_and_the_oldest_is_dropped(models):
    model = models["gemma3"]
    steps = StaticSteps(model.get_decoder(), model.config, "cache", graphs=False)
    a = steps.slot(2, 300)
    assert a.capacity == CAPACITY_STEP and steps.slot(2, CAPACITY_STEP) is a
    b = steps.slot(2, CAPACITY_STEP + 1)
    assert b is not a and b.capacity == 2 * CAPACITY_STEP
    assert steps.slot(2, 10) is a  # the smallest that fits, and now the most recently used
    assert steps.slot(2, 3 * CAPACITY_STEP).capacity == 4 * CAPACITY_STEP
    assert steps.slot(3, 10).batch == 3  # a fourth slot: all are kept
    steps.slot(4, 10)  # a fifth: the least recently used (b) goes
    assert len(steps._slots) == KEEP_SLOTS and b not in steps._slots.values() and a in steps._slots.values()


def test_a_full_static_buffer_is_an_error_not_a_silent_overwrite(models):
    model = models["llama"]
    steps = StaticSteps(model.get_decoder(), model.config, "cache", graphs=False)
    slot = steps.slot(1, 8)
    with pytest.raises(ValueError, match="is full"):
        steps.step(slot, [[1, 2]], slot.capacity - 1)


def test_bench_times_the_eager_loop_beside_the_static_one_only_where_it_is_on(models, grammar_dir):
    from types import SimpleNamespace

    from extractor.bench import eager_twin
    from extractor.config import ModelConfig

    tok = tiny_tokenizer()
    config = ModelConfig(head_rows=0, copy_bias=1.5)
    on = ConstrainedDecoder(models["gemma3"], tok, cache_dir=grammar_dir, static=True, head_rows=0)
    off = ConstrainedDecoder(models["gemma3"], tok, cache_dir=grammar_dir, static=False)
    hf = SimpleNamespace(model=models["gemma3"], tokenizer=tok, config=config, decoder=on, name="m")
    twin = eager_twin(hf)
    assert twin is not None and twin.decoder.static is None and twin.model is hf.model
    assert twin.decoder.copy_bias == 1.5 and twin.name == "m (eager)" and hf.decoder is on
    assert eager_twin(SimpleNamespace(**(vars(hf) | {"decoder": off}))) is None
