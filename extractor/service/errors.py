"""Errors raised by the HTTP service."""

from extractor.errors import ExtractionError


class ServiceError(ExtractionError):
    """Base class for service-side failures."""


class QueueFullError(ServiceError):
    """Too many requests are waiting for the model; the client should retry later."""
