"""The dispatcher's desktop: intake, dispatch board, suggestions, SLA, review queue, search."""

from backend.dispatch import indexes  # noqa: F401  (the office's indexes join the metadata)
