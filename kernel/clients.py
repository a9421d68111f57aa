"""Clients that settings build, once per stage context: the sentence embedder and the textual
checker. Retrieval's own clients (arXiv source, search index) live in `kernel.retrieval`."""

from __future__ import annotations

from typing import Any

from kernel.context import StageContext


def embedder(ctx: StageContext) -> Any:
    """The sentence embedder named by `settings.retrieval.embedder` (local files only)."""
    from verifier import MiniLMEmbedder

    return ctx.client("embedder", lambda: MiniLMEmbedder(ctx.settings.retrieval.embedder))


def text_checker(ctx: StageContext) -> Any:
    from verifier import TextChecker

    return ctx.client("text_checker", lambda: TextChecker(embedder(ctx)))
