"""Synthetic and augmented training meetings for the action-item extractor (see README.md)."""
