"""Transcripts in, validated action items out."""
