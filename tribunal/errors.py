"""Exceptions of the tribunal package."""

from __future__ import annotations


class TribunalError(Exception):
    """The panel cannot review as configured; the message says which setting to change."""


class ReviewerFailed(TribunalError):
    """An LLM reviewer gave no valid review (HTTP error, bad JSON, wrong schema). The panel
    records this and falls back to the rubric; it never reaches the user as a crash."""
