"""The real embedded base (gemma-3-270m, few-shot) end to end: valid JSON of ActionItems."""

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
def test_gemma_base_extracts_product_demo():
    extractor = load_extractor(ModelConfig(adapter=None, device="cpu"))
    result = extract_text(EXAMPLE.read_text(encoding="utf-8"), extractor, meeting_date=dt.date(2025, 3, 10))
    assert result.valid_json, result.raw
    assert all(isinstance(it, ActionItem) for it in result.items)
    assert result.to_json()["meeting_date"] == "2025-03-10"
