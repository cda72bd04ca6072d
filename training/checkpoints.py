"""Writing training artefacts safely: atomic directory swaps, periodic checkpoints, resume."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from training.errors import CheckpointError

logger = logging.getLogger(__name__)

STATE_FILE = "trainer_state.json"
TENSORS_FILE = "trainer_state.pt"
LOG_FILE = "train_log.jsonl"


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temporary directory beside `target`; when the block succeeds it replaces
    `target` by rename, when it raises it is deleted, so `target` is never half-written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
    old = target.with_name(f"{target.name}.old-{tmp.name.rsplit('-', 1)[-1]}")
    try:
        yield tmp
        tmp.chmod(0o755)  # mkdtemp makes it owner-only
        if target.exists():
            target.rename(old)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not target.exists():
            old.rename(target)  # put the previous version back
        raise
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def checkpoints(root: Path) -> list[Path]:
    """Complete checkpoints under `root`, oldest first."""
    if not root.is_dir():
        return []
    found = [p for p in root.glob("step-*") if p.is_dir() and (p / STATE_FILE).is_file()]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def save_checkpoint(
    root: Path,
    step: int,
    model: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    state: dict[str, Any],
    keep: int,
) -> Path:
    """Write step-N (adapter weights, optimizer, scheduler, RNG, `state`) and prune to `keep`."""
    target = root / f"step-{step:07d}"
    with atomic_dir(target) as tmp:
        model.save_pretrained(tmp, save_embedding_layers=False)
        rng = {"cpu": torch.get_rng_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        torch.save(
            {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "rng": rng},
            tmp / TENSORS_FILE,
        )
        (tmp / STATE_FILE).write_text(json.dumps({**state, "step": step}, indent=2), encoding="utf-8")
    for old in checkpoints(root)[: max(0, len(checkpoints(root)) - max(1, keep))]:
        shutil.rmtree(old, ignore_errors=True)
    logger.info("checkpoint saved: %s", target)
    return target


def load_checkpoint(
    path: Path, model: Any, optimizer: torch.optim.Optimizer, scheduler: Any, fingerprint: dict[str, Any]
) -> dict[str, Any]:
    """Restore a checkpoint into `model`/`optimizer`/`scheduler`; return its saved state.
    Raises CheckpointError when it comes from a run with a different fingerprint."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    try:
        state = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
        tensors = torch.load(path / TENSORS_FILE, map_location="cpu", weights_only=True)
        weights = load_file(str(path / "adapter_model.safetensors"))
    except (OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path}: unreadable checkpoint ({exc}); delete it to resume from an older one"
        ) from exc
    saved = state.get("fingerprint", {})
    changed = sorted(k for k in fingerprint if saved.get(k) != fingerprint[k])
    if changed:
        raise CheckpointError(
            f"{path}: checkpoint is from a different run ({', '.join(changed)} changed); "
            f"restore those settings or delete {path.parent} to start afresh"
        )
    set_peft_model_state_dict(model, weights)
    optimizer.load_state_dict(tensors["optimizer"])
    scheduler.load_state_dict(tensors["scheduler"])
    torch.set_rng_state(tensors["rng"]["cpu"])
    if "cuda" in tensors["rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(tensors["rng"]["cuda"])
    return state


def truncate_log(path: Path, lines: int) -> None:
    """Keep the first `lines` lines of a JSONL log (entries written after the checkpoint go)."""
    if not path.is_file():
        return
    kept = path.read_text(encoding="utf-8").splitlines(keepends=True)[:lines]
    path.write_text("".join(kept), encoding="utf-8")
