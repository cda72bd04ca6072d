"""Constrained decoding on tiny random models of four architectures with a real BPE tokenizer."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import torch
import xgrammar as xgr
from transformers import DynamicCache

from extractor.decoding import (
    ConstrainedDecoder,
    GrammarStore,
    _drop_last,
    _Row,
    _Strings,
    _turn_words,
    cache_argument,
    close_json,
    generate_unconstrained,
    stop_token_ids,
)
from extractor.errors import ModelLoadError
from extractor.kvcache import buffer_cache
from extractor.prompt import build_messages, render_prompt
from extractor.schema import ModelItem, output_json_schema, parse_items, render_target
from tests.extractor.tiny_models import ARCHS, TURNS, tiny_model, tiny_tokenizer


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Tiny models are dominated by thread hand-offs; one thread is faster and deterministic.
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
    # Three spare rows in the LM head, like Phi-3's padded vocabulary.
    return {arch: tiny_model(arch, len(tok) + 3) for arch in ARCHS}


def _prompt(turns=TURNS) -> str:
    return render_prompt(tiny_tokenizer(), build_messages(turns))


def _with_items(n: int, max_turn: int = 3) -> dict[str, Any]:
    """Our schema, but demanding at least `n` items so random models write some."""
    schema = copy.deepcopy(output_json_schema(max_turn=max_turn))
    schema["properties"]["action_items"]["minItems"] = n
    return schema


ITEMS = [
    ModelItem(turn=0, owner="Alex", task="Send the Q3 numbers", deadline="by Friday", priority="high"),
    ModelItem(turn=12, owner="José", task='Fix the "login" bug \\ now', deadline=None, priority="low"),
    ModelItem(turn=3, task="Book the room 🎉"),
]


@pytest.mark.parametrize("items", [[], ITEMS[:1], ITEMS])
def test_grammar_accepts_render_target_token_by_token(items, grammar_dir):
    tok = tiny_tokenizer()
    store = GrammarStore(tok, len(tok), stop_token_ids(tok), grammar_dir)
    grammar, max_turn, bounds = store.get(output_json_schema(max_turn=40))
    assert max_turn == 40
    assert bounds == {"owner": (1, 40), "task": (3, 120), "deadline": (1, 48)}
    matcher = xgr.GrammarMatcher(grammar)
    for token in tok.encode(render_target(items), add_special_tokens=False):
        assert matcher.accept_token(token), tok.decode([token])
    assert matcher.is_completed()


@pytest.mark.parametrize(
    "text",
    [
        '{"action_items":[]}',
        '{"action_items": [{"turn": 1, "owner": "A", "task": "Do it", "deadline": null, "priority": null}] }',
        '{"action_items": [{"owner": "A", "turn": 1',
    ],
)
def test_grammar_rejects_other_layouts(text, grammar_dir):
    tok = tiny_tokenizer()
    store = GrammarStore(tok, len(tok), stop_token_ids(tok), grammar_dir)
    matcher = xgr.GrammarMatcher(store.get(output_json_schema())[0])
    assert not (matcher.accept_string(text) and matcher.is_completed())


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("batch_size", [1, 3])
def test_constrained_output_parses(arch, batch_size, models, grammar_dir):
    decoder = ConstrainedDecoder(models[arch], tiny_tokenizer(), cache_dir=grammar_dir)
    prompts = [_prompt(), _prompt(TURNS[:2]), _prompt(TURNS[1:])]
    schemas = [_with_items(1), output_json_schema(max_turn=1), output_json_schema(max_turn=3)]
    outs = decoder.generate(prompts, schemas, max_new_tokens=160, batch_size=batch_size)
    assert len(outs) == 3
    for out, limit in zip(outs, (3, 1, 3), strict=True):
        items = parse_items(out)
        assert all(it.turn <= limit for it in items), out
    assert parse_items(outs[0])  # minItems=1 forces at least one item


@pytest.mark.parametrize("arch", ARCHS)
def test_batched_rows_equal_single_rows(arch, models, grammar_dir):
    decoder = ConstrainedDecoder(models[arch], tiny_tokenizer(), cache_dir=grammar_dir, jump_forward=False)
    prompts = [_prompt(), _prompt(TURNS[:2]), _prompt(TURNS[2:])]
    schemas = [_with_items(2)] * 3
    batched = decoder.generate(prompts, schemas, max_new_tokens=80, batch_size=3)
    single = decoder.generate(prompts, schemas, max_new_tokens=80, batch_size=1)
    assert batched == single


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("min_items", [0, 2])
def test_jump_forward_keeps_greedy_text(arch, min_items, models, grammar_dir):
    tok = tiny_tokenizer()
    plain = ConstrainedDecoder(models[arch], tok, cache_dir=grammar_dir, jump_forward=False)
    jump = ConstrainedDecoder(models[arch], tok, cache_dir=grammar_dir, jump_forward=True)
    schema = _with_items(min_items)
    # 200 tokens run past gemma3's 32-token sliding window, so drafts are cropped there too.
    want = plain.generate([_prompt()], [schema], max_new_tokens=200)
    assert jump.generate([_prompt()], [schema], max_new_tokens=200) == want
    parse_items(want[0])


@pytest.mark.parametrize("forced", [', "owner": ', '", "deadline": ', '{"action_items": [{"turn": '])
def test_drafts_round_trip_or_are_dropped(forced, models, grammar_dir):
    tok = tiny_tokenizer()
    decoder = ConstrainedDecoder(models["llama"], tok, cache_dir=grammar_dir)
    draft = decoder._draft(forced)
    assert tok.decode(draft) == forced


@pytest.mark.parametrize("arch", ["llama", "gemma3"])
@pytest.mark.parametrize("budget", [16, 40, 75])
def test_cut_off_output_is_still_valid_json(arch, budget, models, grammar_dir, caplog):
    decoder = ConstrainedDecoder(models[arch], tiny_tokenizer(), cache_dir=grammar_dir)
    out = decoder.generate([_prompt()], [_with_items(3)], max_new_tokens=budget)[0]
    items = parse_items(out)
    assert len(items) < 3
    assert "still open" in caplog.text


@pytest.mark.parametrize(
    "text,count",
    [
        (
            '{"action_items": [{"turn": 1, "owner": null, "task": "Do it", "deadline": null, "priority": null}, {"tu',
            1,
        ),
        ('{"action_items": [{"turn": 1, "owner": null, "task": "Do', 0),
        ('{"action_items": []}', 0),
    ],
)
def test_close_json(text, count):
    closed = close_json(text)
    assert len(parse_items(closed)) == count
    json.loads(closed)


def test_generate_unconstrained_returns_text(models):
    tok = tiny_tokenizer()
    outs = generate_unconstrained(models["llama"], tok, [_prompt(), _prompt(TURNS[:1])], max_new_tokens=8)
    assert len(outs) == 2 and all(isinstance(o, str) for o in outs)


def test_stop_tokens_include_end_of_turn():
    tok = tiny_tokenizer()
    assert stop_token_ids(tok) == [tok.eos_token_id, tok.convert_tokens_to_ids("<end_of_turn>")]


@pytest.mark.parametrize("arch", ARCHS)
def test_empty_penalty_only_moves_the_first_decision(arch, models, grammar_dir):
    tok = tiny_tokenizer()
    schema = output_json_schema(max_turn=3)
    prompts = [_prompt(), _prompt(TURNS[:2])]
    free = ConstrainedDecoder(models[arch], tok, cache_dir=grammar_dir)
    pushed = ConstrainedDecoder(models[arch], tok, cache_dir=grammar_dir, empty_penalty=1e4)
    before = free.generate(prompts, [schema] * 2, max_new_tokens=120)
    after = pushed.generate(prompts, [schema] * 2, max_new_tokens=120)
    for was, now in zip(before, after, strict=True):
        # An answer that already had items is untouched; an empty one must now start an item.
        assert now == was if parse_items(was) else now.startswith('{"action_items": [{"turn": ')


def test_string_tracker_follows_fields_escapes_and_characters():
    text = render_target([ModelItem(turn=2, owner="José", task='Fix "it" \\ now', deadline="by Friday")])
    seen = []
    for cut in ("José", 'Fix \\"it\\" \\\\ n', "by Fri", ', "priority"'):
        strings = _Strings()
        strings.feed(text[: text.index(cut) + len(cut)].encode())
        seen.append((strings.in_string, strings.is_value, strings.field, strings.length))
    assert seen == [
        (True, True, "owner", 4),  # characters, not UTF-8 bytes
        (True, True, "task", 15),  # raw JSON characters: each escape counts 2
        (True, True, "deadline", 6),
        (False, False, "priority", 8),  # the key "priority" is written and closed
    ]


@pytest.mark.parametrize("arch", ["llama", "gemma3"])
@pytest.mark.parametrize(("lo", "hi"), [(3, 6), (12, 14)])
def test_decoder_keeps_string_bounds_the_grammar_no_longer_has(arch, lo, hi, models, grammar_dir):
    schema = _with_items(2)
    props = schema["properties"]["action_items"]["items"]["properties"]
    props["task"].update(minLength=lo, maxLength=hi)
    props["owner"]["anyOf"][0].update(minLength=2, maxLength=5)
    decoder = ConstrainedDecoder(models[arch], tiny_tokenizer(), cache_dir=grammar_dir)
    for batch_size in (1, 2):
        outs = decoder.generate([_prompt(), _prompt(TURNS[:2])], [schema] * 2, 400, batch_size=batch_size)
        for out in outs:
            items = json.loads(out)["action_items"]
            assert len(items) >= 2, out
            assert all(lo <= len(it["task"]) <= hi for it in items), out
            assert all(it["owner"] is None or 2 <= len(it["owner"]) <= 5 for it in items), out


class _Layer:
    def __init__(self, keys: Any) -> None:
        self.keys, self.cropped = keys, []

    def crop(self, max_length: int) -> None:
        self.cropped.append(max_length)


def test_rejected_draft_is_dropped_only_from_layers_that_hold_something() -> None:
    # transformers 5.17's Gemma cache keeps never-filled layers with keys None; cropping one crashed
    # the jump-forward loop on the GPU. Nothing to drop means no crop at all.
    full, empty = _Layer(torch.zeros(1, 1, 5, 2)), _Layer(None)
    cache = type("Cache", (), {"layers": [full, empty]})()
    _drop_last(cache, 0)
    assert full.cropped == [] and empty.cropped == []
    _drop_last(cache, 2)
    assert full.cropped == [-2] and empty.cropped == []


def test_dropping_from_a_real_cache_forgets_the_last_positions() -> None:
    from transformers import DynamicCache

    cache = DynamicCache()
    cache.update(torch.zeros(1, 2, 6, 4), torch.zeros(1, 2, 6, 4), 0)
    _drop_last(cache, 2)
    assert cache.get_seq_length() == 4


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("jump", [True, False])
def test_in_place_cache_decodes_like_transformers_cache(arch, jump, models, grammar_dir):
    # 200 tokens run past gemma3's 32-token sliding window; jump-forward crops rejected drafts.
    tok = tiny_tokenizer()
    ours = ConstrainedDecoder(models[arch], tok, cache_dir=grammar_dir, jump_forward=jump)
    theirs = ConstrainedDecoder(models[arch], tok, cache_dir=grammar_dir, jump_forward=jump)
    theirs.new_cache = lambda config: DynamicCache(config=config)
    prompts, schemas = [_prompt(), _prompt(TURNS[:2])], [_with_items(2)] * 2
    for batch_size in (1, 2):
        want = theirs.generate(prompts, schemas, max_new_tokens=200, batch_size=batch_size)
        assert ours.generate(prompts, schemas, max_new_tokens=200, batch_size=batch_size) == want


def test_cache_argument_follows_the_forward_signature():
    class New(torch.nn.Module):
        def forward(self, input_ids=None, cache=None, use_cache=None, **kwargs): ...

    class Old(torch.nn.Module):
        def forward(self, input_ids=None, past_key_values=None, use_cache=None, **kwargs): ...

    class Neither(torch.nn.Module):
        def forward(self, input_ids=None, **kwargs): ...

    assert cache_argument(New()) == "cache"
    assert cache_argument(Old()) == "past_key_values"
    with pytest.raises(ModelLoadError, match="no KV cache argument"):
        cache_argument(Neither())


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("batch_size", [1, 2])
def test_decoder_hands_its_cache_to_the_model(arch, batch_size, models, grammar_dir):
    # A cache passed under a name the model does not read is silently ignored (transformers 5.17
    # reads `past_key_values`, 5.24 `cache`): every step would then run without its context.
    tok = tiny_tokenizer()
    decoder = ConstrainedDecoder(models[arch], tok, cache_dir=grammar_dir)
    made: list[Any] = []
    decoder.new_cache = lambda config: made.append(buffer_cache(config)) or made[-1]
    prompts = [_prompt(), _prompt(TURNS[:2])][:batch_size]
    decoder.generate(prompts, [_with_items(1)] * batch_size, max_new_tokens=40, batch_size=batch_size)
    shortest = min(len(decoder.encode_prompt(p)) for p in prompts)
    assert made and made[0].get_seq_length() > shortest


def test_in_place_cache_grows_crops_and_keeps_the_window():
    cache = buffer_cache(tiny_model("gemma3", 64).config)
    full, sliding = (next(x for x in cache.layers if x.is_sliding is flag) for flag in (False, True))
    keys = torch.arange(300 * 2, dtype=torch.float32).reshape(1, 1, 300, 2)
    for layer in (full, sliding):
        seen = layer.update(keys[:, :, :290], keys[:, :, :290])[0]
        assert seen.shape[-2] == 290  # the first pass sees all of its own positions
        seen = layer.update(keys[:, :, 290:], keys[:, :, 290:])[0]
        layer.crop(-4)
        assert layer.get_seq_length() == 296
    window = sliding.sliding_window
    assert seen.shape[-2] == window - 1 + 10 and torch.equal(seen[0, 0, -1], keys[0, 0, 299])
    assert torch.equal(full.keys, keys[:, :, :296]) and torch.equal(
        sliding.keys, keys[:, :, 296 - window + 1 : 296]
    )


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("head_rows", [0, 40])
def test_lookup_drafts_keep_greedy_text(arch, head_rows, models, grammar_dir):
    tok = tiny_tokenizer()
    plain = ConstrainedDecoder(models[arch], tok, cache_dir=grammar_dir, lookup=False, head_rows=head_rows)
    drafted = ConstrainedDecoder(models[arch], tok, cache_dir=grammar_dir, lookup=True, head_rows=head_rows)
    calls = []
    lookup = drafted._lookup
    drafted._lookup = lambda row: calls.append(lookup(row)) or calls[-1]  # type: ignore[method-assign]
    prompt = _prompt(TURNS * 3)  # repeated text: lookups find continuations
    want = plain.generate([prompt], [_with_items(3)], max_new_tokens=200)
    assert drafted.generate([prompt], [_with_items(3)], max_new_tokens=200) == want
    assert any(calls), "no draft was looked up"


def test_lookup_finds_the_latest_continuation_of_the_longest_suffix(models, grammar_dir):
    decoder = ConstrainedDecoder(models["llama"], tiny_tokenizer(), cache_dir=grammar_dir)
    row = _Row(matcher=None, max_turn=None)
    for token in [1, 2, 3, 4, 9, 2, 3, 5, 6, 7, 8, 2, 3]:
        decoder._remember(row, token)
    assert decoder._lookup(row) == [5, 6, 7, 8, 2, 3]  # "2 3" last seen before 5, not before 4
    decoder._remember(row, 42)
    assert decoder._lookup(row) == []


def test_token_tables_read_back_from_the_cache_as_built(grammar_dir):
    tok = tiny_tokenizer()
    built = GrammarStore(tok, len(tok) + 3, stop_token_ids(tok), grammar_dir).token_tables(len(tok) + 3)
    cached = GrammarStore(tok, len(tok) + 3, stop_token_ids(tok), grammar_dir).token_tables(len(tok) + 3)
    assert cached["bytes"] == built["bytes"] and len(built["bytes"]) == len(tok) + 3
    for name in ("digits", "closers", "quoted", "chars", "opens_quote", "open_closes", "open_chars"):
        assert torch.equal(cached[name], built[name]), name
    assert list(grammar_dir.rglob("*tables*.pt"))  # the second store read this file


def test_turn_words_reads_each_transcript_line_and_the_last_copy_wins():
    text = "[0] Dana: Can someone update the doc?\n[1] Lee: I'll do it.\n\nTranscript:\n[0] Alex: Book the room, José."
    words = _turn_words(text)
    assert words[0] == {"Book", "room", "José"}  # the speaker label and stop words left out
    assert words[1] == set()  # only stop words
    assert set(words) == {0, 1}


class _CopySpy(ConstrainedDecoder):
    """Records, for every token written inside a "task" value (quote-free tokens), whether it
    is one the copy bias favours there."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_window: list[bool] = []

    def _advance(self, row: _Row, token: int, max_new_tokens: int) -> None:
        copy = self._copy_ids(row)
        if copy is not None and b'"' not in self._token_bytes[token]:
            self.in_window.append(token in set(copy[0].tolist()))
        super()._advance(row, token, max_new_tokens)


@pytest.mark.parametrize("arch", ["llama", "gemma3"])
def test_copy_bias_writes_tasks_from_the_supporting_turns(arch, models, grammar_dir):
    tok = tiny_tokenizer()
    prompts, schemas = [_prompt()] * 2, [_with_items(2)] * 2
    faint = _CopySpy(models[arch], tok, cache_dir=grammar_dir, copy_bias=1e-6)
    strong = _CopySpy(models[arch], tok, cache_dir=grammar_dir, copy_bias=1e4)
    faint.generate(prompts, schemas, max_new_tokens=160, batch_size=1)
    texts = strong.generate(prompts, schemas, max_new_tokens=160, batch_size=2)
    assert faint.in_window and not all(faint.in_window)  # a random model writes other tokens
    assert strong.in_window and all(strong.in_window), texts
    assert texts[0] == texts[1]  # batched rows are biased alike


def test_copy_ids_cover_the_supporting_turn_and_the_two_before_it_only_inside_tasks(models, grammar_dir):
    tok = tiny_tokenizer()
    decoder = ConstrainedDecoder(models["llama"], tok, cache_dir=grammar_dir, copy_bias=3.0)
    row = _Row(
        matcher=None, max_turn=9, turn_words={0: {"Friday"}, 2: {"room"}, 3: {"login"}, 5: {"numbers"}}
    )

    def ids_after(text: str) -> set[int]:
        row.text, row.strings = bytearray(text.encode()), _Strings()
        row.strings.feed(text.encode())
        found = decoder._copy_ids(row)
        return set() if found is None else set(found[0].tolist())

    def pieces(word: str) -> set[int]:
        return set(tok(" " + word, add_special_tokens=False)["input_ids"])

    inside = ids_after('{"action_items": [{"turn": 3, "owner": null, "task": "Fix')
    assert pieces("login") <= inside and pieces("room") <= inside
    assert not pieces("numbers") & inside - pieces("login") - pieces("room")  # turn 5 is after it
    assert not pieces("Friday") <= inside  # turn 0 is three turns before
    assert ids_after('{"action_items": [{"turn": 3, "owner": "') == set()  # an owner, not a task
