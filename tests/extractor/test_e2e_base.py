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
