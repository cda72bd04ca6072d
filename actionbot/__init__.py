"""actionbot: meeting dialogue in, tracked work out."""

__version__ = "0.1.0"
