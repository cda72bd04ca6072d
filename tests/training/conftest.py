"""Fixtures for training tests (helpers live in trainkit.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from trainkit import build_tokenizer, make_record, save_tiny_base, write_jsonl


@pytest.fixture
def records_file(tmp_path: Path) -> Path:
    """Twelve meetings, two of them without action items."""
    records = [make_record(k, with_items=k % 6 != 5) for k in range(12)]
    return write_jsonl(tmp_path / "train.jsonl", records)


@pytest.fixture(scope="session")
def tokenizer() -> Any:
    return build_tokenizer()


@pytest.fixture(params=["llama"])
def tiny_base(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return save_tiny_base(tmp_path / f"tiny-{request.param}", request.param)
