"""Errors raised by the Slack bot package."""


class BotError(Exception):
    """Base class for bot failures; the message is safe to show a Slack user."""


class QueueFullError(BotError):
    """The extraction queue is full; the user should try again later."""


class FileRejectedError(BotError):
    """A shared file cannot be used as a transcript (wrong host, type or size)."""


class NotAllowedError(BotError):
    """The user or channel is not on the allowlist for creating tickets."""
