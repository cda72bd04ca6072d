"""Errors raised by the Slack bot package."""


class BotError(Exception):
    """Base class for bot failures; the message is safe to show a Slack user."""


class QueueFullError(BotError):
    """The extraction queue is full; the user should try again later."""


class FileRejectedError(BotError):
    """A shared file cannot be used as a transcript (wrong host, type or size)."""


class NotAllowedError(BotError):
    """The user or channel is not on the allowlist for creating tickets."""


class RemoteExtractionError(BotError):
    """The extraction service (EXTRACTOR_URL) failed or could not be reached; worth a retry later."""


class RemoteInputError(RemoteExtractionError):
    """The extraction service refused the transcript itself (413/415/422); a retry won't help."""
