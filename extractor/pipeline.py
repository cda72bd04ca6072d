"""Glue: raw transcript -> turns -> chunks -> prompts -> model -> items. Every step but the
model call is a pure function from its own module; this file only connects them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field

from extractor.chunking import chunk_turns, merge_items
from extractor.errors import InputError, ModelOutputError
from extractor.model import Extractor, GenerationRequest
from extractor.postprocess import finalize
from extractor.prompt import build_messages, render_turns
from extractor.schema import ActionItem, ModelItem, output_json_schema, parse_items, salvage_items
from extractor.turns import Transcript, normalize_transcript

logger = logging.getLogger(__name__)

# Turns shared by neighbouring chunks, so an assignment and its "sure" are seen together.
CHUNK_OVERLAP_TURNS = 3


@dataclass
class ExtractionResult:
    """What one extraction produced, with enough detail to score and to debug it."""

    items: list[ActionItem]
    transcript: Transcript
    raw_chunks: list[str]
    valid_json: bool
    latency_s: float
    model: str
    warnings: list[str] = field(default_factory=list)

    @property
    def raw(self) -> str:
        """The model's text: the single chunk's output, or the chunks' items joined as one JSON
        document when every chunk parsed (the concatenated raw text otherwise)."""
        if len(self.raw_chunks) == 1:
            return self.raw_chunks[0]
        if not self.valid_json:
            return "\n".join(self.raw_chunks)
        joined = [it for raw in self.raw_chunks for it in json.loads(raw)["action_items"]]
        return json.dumps({"action_items": joined}, ensure_ascii=False)

    def to_json(self) -> dict:
        """The public output: {"action_items": [...]} plus meeting metadata."""
        return {
            "action_items": [it.to_json() for it in self.items],
            "meeting_date": self.transcript.meeting_date.isoformat()
            if self.transcript.meeting_date
            else None,
            "format": self.transcript.format,
            "model": self.model,
            "warnings": self.warnings,
        }


def chunk_budget(extractor: Extractor, meeting_date: dt.date | None) -> int:
    """Tokens left for transcript lines once the fixed prompt is paid for."""
    fixed = extractor.count_tokens(
        "\n".join(m["content"] for m in build_messages([], meeting_date, few_shot=extractor.few_shot))
    )
    return max(256, extractor.context_tokens - fixed)


def plan_requests(transcript: Transcript, extractor: Extractor) -> list[GenerationRequest]:
    """One schema-constrained request per chunk of `transcript`."""
    if not transcript.turns:
        raise InputError(
            "the transcript has no text to read: " + "; ".join(transcript.warnings or ("it is empty",))
        )
    chunks = chunk_turns(
        transcript.turns,
        lambda turns: extractor.count_tokens(render_turns(turns)),
        budget=chunk_budget(extractor, transcript.meeting_date),
        overlap_turns=CHUNK_OVERLAP_TURNS,
    )
    return [
        GenerationRequest(
            messages=build_messages(chunk, transcript.meeting_date, few_shot=extractor.few_shot),
            schema=output_json_schema(max_turn=chunk[-1].index),
        )
        for chunk in chunks
    ]


def assemble(transcript: Transcript, raws: list[str], latency_s: float, model: str) -> ExtractionResult:
    """Parse each chunk's output, merge the chunks and finalise the items."""
    warnings = list(transcript.warnings)
    per_chunk: list[list[ModelItem]] = []
    valid = True
    for n, raw in enumerate(raws):
        try:
            per_chunk.append(parse_items(raw))
        except ModelOutputError as exc:
            valid = False
            salvaged = salvage_items(raw)
            logger.debug("chunk %d raw output: %r", n, raw)
            warnings.append(
                f"model output for part {n + 1} was not valid JSON ({exc}); kept {len(salvaged)} complete item(s)"
            )
            per_chunk.append(salvaged)
    items = finalize(merge_items(per_chunk), transcript)
    logger.info(
        "extracted %d item(s) from %d chunk(s) in %.2fs with %s", len(items), len(raws), latency_s, model
    )
    return ExtractionResult(items, transcript, list(raws), valid, latency_s, model, warnings)


def extract_transcript(transcript: Transcript, extractor: Extractor) -> ExtractionResult:
    """Run the model over every chunk of `transcript` and return validated, merged items."""
    started = time.perf_counter()
    raws = extractor.generate(plan_requests(transcript, extractor))
    return assemble(transcript, raws, time.perf_counter() - started, extractor.name)


def extract_many(transcripts: list[Transcript], extractor: Extractor) -> list[ExtractionResult]:
    """Extract several meetings with one `generate` call, so a GPU backend can batch them.
    Each result's latency is the batch's wall time divided evenly by meetings."""
    plans = [plan_requests(t, extractor) for t in transcripts]
    started = time.perf_counter()
    raws = extractor.generate([r for plan in plans for r in plan])
    share = (time.perf_counter() - started) / max(1, len(transcripts))
    out, pos = [], 0
    for t, plan in zip(transcripts, plans, strict=True):
        out.append(assemble(t, raws[pos : pos + len(plan)], share, extractor.name))
        pos += len(plan)
    return out


def extract_text(
    raw: str,
    extractor: Extractor,
    *,
    fmt: str = "auto",
    meeting_date: dt.date | None = None,
    tz: str | None = None,
) -> ExtractionResult:
    """Parse `raw` (any supported transcript format) and extract its action items."""
    transcript = normalize_transcript(raw, fmt=fmt, meeting_date=meeting_date, tz=tz)
    return extract_transcript(transcript, extractor)
