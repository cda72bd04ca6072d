"""`actionbot api`: the extractor over HTTP, with dynamic batching on one model-owning worker."""

from extractor.service.app import create_app
from extractor.service.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
