"""`actionbot eval`: one prediction per meeting in the official scorer's format, written as it
goes (a stopped run keeps what it did), and the scorer's figures printed and saved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from extractor import cli as cli_mod
from extractor.model import FakeExtractor, GenerationRequest

ANSWER = json.dumps(
    {
        "action_items": [
            {"turn": 1, "owner": "Lee", "task": "Send the deck", "deadline": "by Friday", "priority": None}
        ]
    }
)
SCORER = '''
def score(gold_rows, pred_rows, threshold=0.4):
    """Checks the prediction format, then counts."""
    assert [p["id"] for p in pred_rows] == [g["id"] for g in gold_rows]
    n = sum(len(p["action_items"] or []) for p in pred_rows)
    return {"f1": n / len(gold_rows), "json_validity": 1.0, "cases": len(gold_rows)}, []
'''


class Boom(Exception):
    pass


class StopsAfter(FakeExtractor):
    """Answers `ok` generate calls, then fails as a killed process would."""

    def __init__(self, ok: int) -> None:
        super().__init__(default=ANSWER)
        self.ok = ok

    def generate(self, requests: list[GenerationRequest]) -> list[str]:  # type: ignore[override]
        if self.ok == 0:
            raise Boom
        self.ok -= 1
        return super().generate(requests)


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    rows: list[dict[str, Any]] = [
        {
            "id": f"m{k}",
            "meeting_date": "2025-03-10",
            "action_items": [],
            "transcript": f"Dana: Lee, can you send deck {k} by Friday?\nLee: Sure, I'll send it by Friday.",
        }
        for k in range(3)
    ]
    rows.append({"id": "empty", "meeting_date": None, "action_items": [], "transcript": "   "})
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "score.py").write_text(SCORER, encoding="utf-8")
    return path


def run(gold: Path, extractor: FakeExtractor, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(cli_mod, "load_model", lambda *a: extractor)
    args = [
        str(gold),
        "-o",
        str(gold.with_name("p.jsonl")),
        "--scorer",
        str(gold.with_name("score.py")),
        "--metrics",
        str(gold.with_name("m.json")),
    ]
    return CliRunner().invoke(cli_mod.eval_cmd, args)


def test_predictions_in_scorer_format_and_figures(gold: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(gold, FakeExtractor(default=ANSWER), monkeypatch)
    assert result.exit_code == 0, result.output
    preds = [json.loads(line) for line in gold.with_name("p.jsonl").read_text().splitlines()]
    assert [p["id"] for p in preds] == ["m0", "m1", "m2", "empty"]
    first = preds[0]
    assert json.loads(first["raw"])["action_items"][0]["owner"] == "Lee" and first["latency_s"] >= 0
    assert first["action_items"][0]["owner"] == "Lee"
    assert first["action_items"][0]["deadline_date"] == "2025-03-14"
    assert preds[3]["action_items"] is None and preds[3]["error"]
    assert json.loads(gold.with_name("m.json").read_text())["f1"] == 0.75
    assert "f1" in result.output and "0.75" in result.output


def test_a_stopped_run_keeps_the_meetings_it_finished(gold: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(gold, StopsAfter(ok=2), monkeypatch)
    assert isinstance(result.exception, Boom)
    kept = [json.loads(line)["id"] for line in gold.with_name("p.jsonl").read_text().splitlines()]
    assert kept == ["m0", "m1"]
