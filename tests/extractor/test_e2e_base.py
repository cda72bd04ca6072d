"""The real embedded base (gemma-3-270m), few-shot and with the shipped adapter, end to end:
valid JSON of ActionItems whose owners come from the transcript."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from extractor.config import ModelConfig
from extractor.hf import load_extractor
from extractor.pipeline import extract_text
from extractor.schema import ActionItem

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "product_demo.txt"


@pytest.mark.slow
@pytest.mark.parametrize("adapter", [None, "auto"], ids=["few-shot", "shipped-adapter"])
def test_gemma_base_extracts_product_demo(adapter):
    extractor = load_extractor(ModelConfig(adapter=adapter, device="cpu"))
    assert ("actions" in extractor.name) == (adapter == "auto"), extractor.name
    result = extract_text(EXAMPLE.read_text(encoding="utf-8"), extractor, meeting_date=dt.date(2025, 3, 10))
    assert result.valid_json, result.raw
    assert all(isinstance(it, ActionItem) for it in result.items)
    assert result.to_json()["meeting_date"] == "2025-03-10"
    # Owners are participants' names from the transcript (vocatives for #PersonN#), never invented.
    assert {it.owner for it in result.items} <= {"Alex", "Maria", None}
    if adapter == "auto":
        # The product demo, read right: who, what and when, with resolved dates.
        got = [(it.owner, it.task.lower(), it.deadline, it.deadline_date) for it in result.items]
        assert len(got) == 2, got
        (alex, sales, friday, fri_date), (maria, metrics, thursday, thu_date) = got
        assert (alex, friday, fri_date) == ("Alex", "by Friday", dt.date(2025, 3, 14)), got
        assert "sales data" in sales, got
        assert (maria, thursday, thu_date) == ("Maria", "by end of day Thursday", dt.date(2025, 3, 13)), got
        assert "marketing metrics" in metrics, got
