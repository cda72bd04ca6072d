"""The training-data build: deterministic, parseable by the trainer, covering every format."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from extractor.formats import FORMATS
from extractor.turns import Transcript
from training.data.build import BuildConfig, build, main, plan, sample
from training.data.doc import first_name
from training.examples import locate_turns, parse_record

N, SEED = 120, 7


@pytest.fixture(scope="module")
def records() -> tuple[dict, ...]:
    return sample(N, SEED)


@pytest.fixture(scope="module")
def parsed(records: tuple[dict, ...]) -> list[tuple[dict, Transcript, list, list[str]]]:
    return [(rec, *parse_record(rec, f"sample:{n}")) for n, rec in enumerate(records)]


def test_same_seed_same_records() -> None:
    a, _ = build(BuildConfig(n=16, seed=3))
    b, _ = build(BuildConfig(n=16, seed=3))
    c, _ = build(BuildConfig(n=16, seed=4))
    assert a == b
    assert [r["transcript"] for r in a] != [r["transcript"] for r in c]


def test_two_workers_build_the_same_records() -> None:
    assert build(BuildConfig(n=12, seed=9), workers=2)[0] == build(BuildConfig(n=12, seed=9), workers=1)[0]


def test_every_record_places_every_item(parsed: list) -> None:
    skipped = 0
    for rec, transcript, items, quotes in parsed:
        assert len(items) == len(rec["action_items"])
        skipped += None in locate_turns(transcript.turns, quotes)
    assert skipped == 0
    assert len(parsed) >= N * 0.99


def test_formats_sources_and_zero_item_meetings(records: tuple[dict, ...]) -> None:
    assert {r["format"] for r in records} >= set(FORMATS) - {"dialogsum", "srt"}
    assert any(not r["action_items"] for r in records)
    assert all(
        re.match(r"^(handwritten:hw-\d+:\d+|synthetic:(dialog|ami):[\w-]+)$", r["source"]) for r in records
    )
    assert any(r["source"].startswith("synthetic:ami") for r in records)
    assert any(r["words"] >= 2000 for r in records)


def _owner_ok(rec: dict, speakers: tuple[str, ...], owner: str) -> bool:
    labels = {s.casefold() for s in speakers} | {first_name(s).casefold() for s in speakers}
    if owner.casefold() in labels:
        return True
    # Otherwise the owner must be named in the text (notes, DialogSum, a silent attendee).
    return re.search(rf"(?<!\w){re.escape(owner)}(?!\w)", rec["transcript"], re.I) is not None


def test_owners_are_speakers_or_named(parsed: list) -> None:
    bad = [
        (r["id"], owner)
        for r, transcript, _, _ in parsed
        for owner in {it["owner"] for it in r["action_items"]} - {None}
        if not _owner_ok(r, transcript.speakers, owner)
    ]
    assert not bad


def test_deadlines_are_quoted_from_the_transcript(parsed: list) -> None:
    for rec, transcript, _, _ in parsed:
        said = " ".join(t.text for t in transcript.turns)
        for it in rec["action_items"]:
            if it["deadline"]:
                assert it["deadline"] in said, it


@pytest.mark.parametrize(("n", "seeds"), [(6000, 62), (6000, 200), (100, 0)])
def test_plan_shares(n: int, seeds: int) -> None:
    jobs = plan(BuildConfig(n=n), seeds)
    kinds = [k for k, _, _ in jobs]
    assert len(jobs) == n
    assert kinds.count("ami") == round(n * 0.1)
    if seeds:
        assert kinds.count("hw") <= seeds * 40
        assert kinds.count("hw") >= min(0.4 * n, seeds * 40)


def test_bad_n_is_a_clear_error(tmp_path) -> None:
    result = CliRunner().invoke(main, ["--out", str(tmp_path / "x.jsonl"), "--n", "0"])
    assert result.exit_code != 0
    assert "n must be at least 1" in result.output


def test_cli_writes_jsonl_and_stats(tmp_path) -> None:
    out = tmp_path / "d" / "train.jsonl"
    result = CliRunner().invoke(
        main, ["--out", str(out), "--n", "12", "--seed", "2", "--workers", "1", "--stats"]
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 12
    assert "formats:" in result.output and "items per meeting:" in result.output
