"""Exceptions of the reports package."""

from __future__ import annotations


class ReportError(Exception):
    """A draft cannot be built or rendered as asked; the message names the bad value."""
