"""Errors raised while building training data."""

from training.errors import DataError


class PoolError(DataError):
    """A phrase pool under training/data/pools is missing or malformed (the message names the file)."""


class HandwrittenFormatError(DataError):
    """A hand-written seed meeting does not follow the schema (the message names file:line and field)."""
