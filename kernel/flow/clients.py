"""Clients that settings build, once per stage context: the sentence embedder (shared by
retrieval's reranking and the textual checks) and the textual checker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.flow.context import StageContext

if TYPE_CHECKING:  # the checker's import pulls in scikit-learn: only when it is built
    from verifier.check import TextChecker
    from verifier.embedder import Embedder


def embedder(ctx: StageContext) -> Embedder:
    """The embedder named by `settings.retrieval.embedder` (local files only by default)."""
    from kernel.retrieval.embedders import make_embedder

    return ctx.client("embedder", lambda: make_embedder(ctx.settings.retrieval))


def text_checker(ctx: StageContext) -> TextChecker:
    """`verifier.TextChecker` over the shared embedder, with the model signal
    `settings.verifier.text_model` names (`hybrid` by default: the NLI core for plain prose,
    the combiner for claims with names or result numbers)."""
    return ctx.client("text_checker", lambda: ctx.settings.verifier.make_checker(embedder(ctx)))
