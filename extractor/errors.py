"""Errors raised by the extractor package."""


class ExtractionError(Exception):
    """Base class: anything that stops a transcript from becoming action items."""


class InputError(ExtractionError):
    """The input cannot be read as a transcript (empty, binary, too large, unreadable)."""


class TranscriptFormatError(InputError):
    """The transcript is in a named format but does not parse as that format."""


class ModelOutputError(ExtractionError):
    """The model produced text that is not valid action-item JSON."""

    def __init__(self, message: str, raw: str = ""):
        super().__init__(message)
        self.raw = raw


class ModelLoadError(ExtractionError):
    """A base model or adapter could not be found or loaded."""


class AdapterFormatError(ModelLoadError):
    """An adapter was trained with a different prompt format than this code renders."""
