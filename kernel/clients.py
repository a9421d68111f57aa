"""Clients that settings build, once per stage context: the sentence embedder (shared by
retrieval's reranking and the textual checks) and the textual checker."""

from __future__ import annotations

from typing import Any

from kernel.context import StageContext


def embedder(ctx: StageContext) -> Any:
    """The embedder named by `settings.retrieval.embedder` (local files only by default)."""
    from kernel.retrieval.embedders import as_embedder, make_embedder

    cfg = ctx.settings.retrieval
    return as_embedder(ctx.client("embedder", lambda: make_embedder(cfg)), cfg.embedder)


def text_checker(ctx: StageContext) -> Any:
    """`verifier.TextChecker` over the shared embedder."""
    from verifier.check import TextChecker

    return ctx.client("text_checker", lambda: TextChecker(embedder(ctx), settings=ctx.settings.verifier))
