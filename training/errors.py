"""Errors raised by the training package."""


class TrainingError(Exception):
    """Base class: anything that stops a fine-tuning run."""


class DataError(TrainingError):
    """A training record is malformed or its file cannot be read (the message names file:line)."""


class SetupError(TrainingError):
    """This machine cannot run the requested setup (e.g. QLoRA without CUDA or bitsandbytes)."""


class CheckpointError(TrainingError):
    """A checkpoint is missing, unreadable or from a different run."""
