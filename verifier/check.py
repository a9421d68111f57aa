"""TextChecker: a claim against independent passages → SUPPORTED | CONTRADICTED | UNVERIFIED.

Two checks, kept apart:

* **attribution** — the claim against its own passage (`verifier.attribution`): a check of the
  extraction, which never makes a claim SUPPORTED.
* **independent evidence** — the claim against passages of *other* papers, by other authors
  (`verifier.sources`), or against a text the user gives. Each passage relates to the claim as
  *corroborates*, *contradicts* or *related*:

  - a claim with a result number: only the evidence number that plays the same role counts
    (`verifier.alignment`); equal → corroborates, one other figure for the same quantity →
    contradicts, anything else (another model or baseline, a bound, several candidate figures,
    no number) → related. The model cannot overturn a numeric comparison; the reason says so.
  - a claim without a number: the model's verdict, held back to *related* when the passage does
    not name the claim's system, names conflict, a supported claim adds content words the passage
    lacks (unless the NLI core is confident: ``nli_entailment``; the words are then shown), or a
    contradiction has no negation to show for it (nor a confident NLI core: ``nli_contradiction``).

  The model is the NLI core (``verifier.nli``) or the fitted combiner, per pair as
  ``verifier.text_model`` says (default ``hybrid``: the core for plain prose, the combiner for
  claims with names or result numbers).

  The claim's ``independent`` label is CORROBORATED or CONTRADICTED by the most confident such
  passage, RELATED when only related ones exist, NONE when none is relevant; ``verdict`` maps
  these to SUPPORTED / CONTRADICTED / UNVERIFIED.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from verifier.alignment import RELATIVE_UNITS, align
from verifier.attribution import attribute
from verifier.combiner import ROUTE, Combiner
from verifier.compare import PassageFacts
from verifier.embedder import Embedder
from verifier.errors import BadInput
from verifier.features import FEATURES, PairFeatures, claim_views, content_words, pair_features
from verifier.sentences import ensure_text
from verifier.settings import VerifierSettings
from verifier.sources import homonym, independent_of, sentence_subjects
from verifier.types import Corroboration, EvidenceItem, ExtractedClaim, PassageRef, TextVerdict

_ENGLISH = frozenset("the a an of to in and is are on for with by than that this it as be from at was were "
                     "has have its or not which we our".split())
# Function words of the other languages a claim most often comes in (French, German, Spanish,
# Italian, Portuguese), none of them an English word ("et" is left out: "et al.").
_FOREIGN = frozenset("le la les des est une du dans pour avec sont pas plus sur ce cette qui "
                     "der das und ist nicht mit ein eine für auf sind auch wird werden "
                     "el los las y una por para del más muy sus como pero "
                     "il di che è della sono più gli nel "
                     "os da não são uma com mais".split())
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)


def looks_english(text: str) -> bool:
    """False for running text in another language: mostly non-Latin letters, or more function
    words of another language than of English. A short technical sentence with no function words
    at all ("Mixtral-8x7B uses roughly 12.9B parameters per token") is taken as English."""
    words = _LETTERS.findall(text.lower())
    if len(words) < 4:
        return True
    latin = sum(1 for w in words if w.isascii())
    if latin < 0.6 * len(words):
        return False
    english = sum(1 for w in words if w in _ENGLISH)
    foreign = sum(1 for w in words if w in _FOREIGN)
    if foreign > english:
        return False
    return english >= max(1, 0.06 * len(words)) or foreign == 0


def _snippet(text: str, span: tuple[int, int], limit: int = 400) -> str:
    s, e = span
    return text[s:e] if e - s <= limit else text[s:s + limit - 1] + "…"


class TextChecker:
    """Checks claims against passages: the NLI core and/or the fitted combiner as the model signal,
    under the structured rules above.

    ``embedder`` is any :class:`~verifier.embedder.Embedder`; its model is loaded once by the
    caller (``VerifierSettings.make_embedder()``).
    """

    def __init__(self, embedder: Embedder, *, settings: VerifierSettings | None = None,
                 combiner: Combiner | None = None, nli=None, nli_scope: str = "all") -> None:
        if nli_scope not in ("all", "prose"):
            raise BadInput(f"unknown nli_scope {nli_scope!r}; expected 'all' or 'prose'")
        self.settings = settings or VerifierSettings()
        self.embedder = embedder
        self.combiner = combiner or Combiner.load(self.settings.combiner_path)
        # A verifier.nli.NLICore: replaces the combiner's probabilities when given, on every pair
        # (nli_scope "all") or only on plain-prose claims ("prose"; the combiner keeps the claims
        # the structured signals were fitted for: a named system, model or hardware, a result number).
        self.nli = nli
        self.nli_scope = nli_scope

    def uses_nli(self, x: np.ndarray) -> np.ndarray:
        """Which pairs (rows of the feature matrix ``x``) the NLI core judges."""
        if self.nli is None:
            return np.zeros(len(x), bool)
        return np.ones(len(x), bool) if self.nli_scope == "all" else x[:, ROUTE] <= 0.5

    # -- validation ---------------------------------------------------------------------
    def _claim(self, claim: ExtractedClaim | str) -> ExtractedClaim | str:
        text = claim.text if isinstance(claim, ExtractedClaim) else claim
        if not isinstance(text, str):
            raise BadInput(f"claim must be text, got {type(text).__name__}")
        ensure_text(text)
        if not text.strip():
            raise BadInput("claim is empty; give the sentence to check")
        if len(text) > self.settings.max_claim_chars:
            raise BadInput(f"claim has {len(text)} characters; the limit is {self.settings.max_claim_chars} "
                           "— give one claim sentence, or extract claims from the text first")
        return claim

    # -- scoring ------------------------------------------------------------------------
    def score_pairs(self, claims: Sequence[ExtractedClaim | str], passages: Sequence[str],
                    pairs: Sequence[tuple[int, int]], *,
                    use_nli: bool = True) -> tuple[PairFeatures, np.ndarray, list[str]]:
        """Signals, probabilities ``[P, 3]`` (combiner class order) and verdicts of each pair: the
        NLI core's on the pairs it judges (:meth:`uses_nli`), the combiner's on the rest
        (``use_nli=False``: the combiner's on all, for comparison)."""
        feats = pair_features(claims, passages, pairs, self.embedder)
        if not len(pairs):
            return feats, np.zeros((0, 3)), []
        probs = self.combiner.probabilities(feats.matrix)
        verdicts = self.combiner.decide(probs, feats.matrix)
        rows = np.flatnonzero(self.uses_nli(feats.matrix)) if use_nli else []
        if len(rows):
            texts = [c.text if isinstance(c, ExtractedClaim) else c for c in claims]
            nli_probs, nli_verdicts = self._nli_scores(texts, [pairs[r] for r in rows], feats, rows)
            probs[rows] = nli_probs
            for r, v in zip(rows, nli_verdicts):
                verdicts[r] = v
        return feats, probs, verdicts

    def check(self, claim: ExtractedClaim | str, own: PassageRef | None,
              others: Sequence[PassageRef] = ()) -> TextVerdict:
        """Verdict of one claim against its own passage (may be None) and other passages."""
        return self.check_batch([claim], list(others), own=[own])[0]

    def check_batch(self, claims: Sequence[ExtractedClaim | str], passages: Sequence[PassageRef], *,
                    own: Sequence[PassageRef | None] | None = None,
                    min_relevance: float | None = None) -> list[TextVerdict]:
        """Verdicts of many claims against one shared pool of passages (each encoded once).

        ``own[i]`` is claim i's source passage (or None: a claim from the user, for which every
        passage is independent); it need not be in ``passages``. Claim i is attributed to its own
        passage and judged on its ``top_k`` most relevant independent passages only; a passage
        under ``min_relevance`` (default: the setting) is not considered.
        """
        claims = [self._claim(c) for c in claims]
        own = list(own) if own is not None else [None] * len(claims)
        if len(own) != len(claims):
            raise BadInput(f"own has {len(own)} entries for {len(claims)} claims; give one (or None) per claim")
        pool: list[PassageRef] = list(passages)
        key = {(p.paper_id, str(p.id)): k for k, p in enumerate(pool)}
        own_idx: list[int | None] = []
        for o in own:
            if o is None:
                own_idx.append(None)
                continue
            k = key.get((o.paper_id, str(o.id)))
            if k is None:
                k = len(pool)
                pool.append(o)
                key[(o.paper_id, str(o.id))] = k
            own_idx.append(k)
        for p in pool:
            if len(p.text) > self.settings.max_evidence_chars:
                raise BadInput(f"passage {p.id} has {len(p.text):,} characters; the limit is "
                               f"{self.settings.max_evidence_chars:,}")
            ensure_text(p.text)
        texts = [c.text if isinstance(c, ExtractedClaim) else c for c in claims]
        floor = self.settings.min_relevance if min_relevance is None else min_relevance
        candidates = self.candidates(texts, pool, own_idx, floor)
        pairs = [(i, j) for i, js in enumerate(candidates) for j in js]
        feats, probs, verdicts = self.score_pairs(claims, [p.text for p in pool], pairs)
        own_facts: dict[int, PassageFacts] = {}
        out = []
        start = 0
        for i, js in enumerate(candidates):
            rows = list(range(start, start + len(js)))
            start += len(js)
            views = claim_views(claims[i])
            o = own_idx[i]
            if o is not None and o not in own_facts:
                own_facts[o] = (feats.facts[o] if feats.facts and feats.facts[o] is not None
                                else PassageFacts.build(pool[o].text))
            verdict = self._verdict(texts[i], views, pool, o, js, rows, feats, probs, verdicts)
            att = attribute(views, texts[i], own_facts.get(o) if o is not None else None)
            verdict.attribution, verdict.attribution_reasons = att.label, att.reasons
            out.append(verdict)
        return out

    def _nli_scores(self, texts: list[str], pairs: list[tuple[int, int]], feats: PairFeatures,
                    rows: Sequence[int]) -> tuple[np.ndarray, list[str]]:
        """The NLI core on the given pairs (``rows`` of ``feats``): each claim against the passage
        sentence closest to it (short inputs keep it fast), as ``[P, C]`` in the combiner's class order."""
        from verifier.nli import NLI_LABELS
        evidence = [feats.facts[j].sentence(feats.best_sentence[r]) for r, (_, j) in zip(rows, pairs)]
        nli = self.nli.predict([texts[i] for i, _ in pairs], evidence)  # [P, 3] NLI_LABELS order
        as_class = {"SUPPORTED": "entailment", "CONTRADICTED": "contradiction", "UNVERIFIED": "neutral"}
        probs = nli[:, [NLI_LABELS.index(as_class[c]) for c in self.combiner.classes]]
        return probs, [self.combiner.classes[k] for k in np.argmax(probs, axis=1)]

    def candidates(self, texts: list[str], pool: list[PassageRef], own_idx: list[int | None],
                   floor: float | None = None) -> list[list[int]]:
        """The top_k independent passages of each claim by whole-passage cosine (≥ `floor`,
        min_relevance by default): the pairs a batch check scores."""
        floor = self.settings.min_relevance if floor is None else floor
        eligible = [[j for j, p in enumerate(pool) if j != o and independent_of(pool[o] if o is not None else None, p)]
                    for o in own_idx]
        if not any(eligible):
            return [[] for _ in texts]
        vec = self.embedder.encode(texts + [p.text[:2000] for p in pool])
        rel = vec[:len(texts)] @ vec[len(texts):].T  # [C, P]
        out = []
        for i, js in enumerate(eligible):
            ranked = sorted((j for j in js if rel[i, j] >= floor), key=lambda j: -rel[i, j])
            out.append(ranked[: self.settings.top_k])
        return out

    def _relation(self, text: str, views: list[ExtractedClaim], pf: PassageFacts, row: int, feats: PairFeatures,
                  probs: np.ndarray, verdicts: list[str], own: PassageRef | None,
                  other: PassageRef) -> tuple[str, list[str]]:
        """How one independent passage bears on the claim: corroborates | contradicts | related."""
        system = next((v.system for v in views if v.system), None)
        if homonym(system, own, other):
            return "related", [f"{other.paper_id} presents its own system named {system}; "
                               "it is not evidence about this one"]
        if system and system not in pf.names.get("system", set()):
            # Another paper's figure that names no system (or another one) is about its own work.
            return "related", [f"evidence does not name {system}"]
        valued = [v for v in views if v.value is not None]
        if valued and not system and own is not None and all(v.unit in RELATIVE_UNITS for v in valued):
            # A paper's gain that names no system is its own authors' ("our method"); another
            # paper's figure is about theirs, so the two are never the same quantity. (A user's
            # claim has no source paper: the evidence they give is about what they claim.)
            return "related", ["the claim's gain names no system (its authors' own work); another paper's "
                               "figure is about other work"]
        model = verdicts[row]
        p_model = float(probs[row, list(self.combiner.classes).index(model)])
        by_nli = bool(self.uses_nli(feats.matrix[row:row + 1])[0])
        source = "the NLI core" if by_nli else "the model"
        if valued:
            found = [align(v, pf) for v in valued]
            reasons = [r for a in found for r in a.reasons]
            if any(a.outcome == "disagrees" for a in found):
                relation = "contradicts"
            elif all(a.outcome == "agrees" for a in found):
                relation = "corroborates"
            else:
                return "related", reasons
            expected = "CONTRADICTED" if relation == "contradicts" else "SUPPORTED"
            if model != expected:
                reasons.append(f"the numbers decide; the model alone said {model} (p={p_model:.2f})")
            return relation, reasons
        if system and sentence_subjects(pf)[feats.best_sentence[row]] != system:
            return "related", [f"the evidence sentence closest to the claim is not about {system}"]
        comp = feats.comparisons[row]
        x = feats.matrix[row]
        if x[FEATURES.index("entity_conflict")] > 0:
            return "related", comp.reasons or ["names in the claim differ from the evidence"]
        if model == "SUPPORTED":
            missing = self._unsupported_words(text, views, pf.sentence(feats.best_sentence[row]))
            if missing and not (by_nli and p_model >= self.settings.nli_entailment):
                return "related", [f"the evidence does not say: {', '.join(missing)}"]
            lacks = f", though the evidence sentence lacks: {', '.join(missing)}" if missing else ""
            return "corroborates", [f"{source} finds the claim entailed (p={p_model:.2f}){lacks}"]
        if model == "CONTRADICTED":
            if x[FEATURES.index("negation")] > 0:
                return "contradicts", [f"{source} finds a contradiction (p={p_model:.2f}); negated in one text "
                                       "but not the other"]
            if by_nli and p_model >= self.settings.nli_contradiction:
                return "contradicts", [f"{source} finds a contradiction (p={p_model:.2f})"]
            return "related", [f"{source} leaned to a contradiction (p={p_model:.2f}) with no negation or "
                               "conflicting name to show for it"]
        return "related", ["on the topic, but neither states nor denies the claim"]

    @staticmethod
    def _unsupported_words(text: str, views: list[ExtractedClaim], evidence: str) -> list[str]:
        """Content words of the claim the evidence sentence lacks (names excluded), when they are
        more than a third of them: an entailment must not add what the evidence never said."""
        names = {w for v in views for k in ("system", "baseline", "model", "hardware", "dataset")
                 if (n := getattr(v, k)) for w in content_words(n)}
        words = content_words(text) - names
        have = content_words(evidence)
        stems = {w[:5] for w in have}
        missing = sorted(w for w in words if w not in have and w[:5] not in stems and not w.isdigit())
        return missing if words and len(missing) > len(words) / 3 else []

    def _verdict(self, text, views, pool, own, js, rows, feats, probs, verdicts) -> TextVerdict:
        classes = list(self.combiner.classes)
        if not looks_english(text):
            return TextVerdict(verdict="UNVERIFIED", confidence=1.0, reasons=[
                "claim does not look like English; the checks are built for English text — translate it first"])
        if not js:
            return TextVerdict(verdict="UNVERIFIED", confidence=1.0, independent="NONE", reasons=[
                "no independent passage is relevant (other papers, other authors): only its authors' word"])
        own_ref = pool[own] if own is not None else None
        judged = []
        for r, j in zip(rows, js):
            relation, why = self._relation(text, views, feats.facts[j], r, feats, probs, verdicts, own_ref, pool[j])
            label = {"corroborates": "SUPPORTED", "contradicts": "CONTRADICTED"}.get(relation, "UNVERIFIED")
            judged.append((r, j, relation, why, float(probs[r, classes.index(label)])))
        decisive = [t for t in judged if t[2] != "related"]
        emb = FEATURES.index("embedding")
        r, j, relation, why, conf = (max(decisive, key=lambda t: t[4]) if decisive
                                     else max(judged, key=lambda t: feats.matrix[t[0], emb]))
        independent = {"corroborates": "CORROBORATED", "contradicts": "CONTRADICTED"}.get(relation, "RELATED")
        verdict = {"CORROBORATED": "SUPPORTED", "CONTRADICTED": "CONTRADICTED"}.get(independent, "UNVERIFIED")
        x = feats.matrix[r]
        scores = {name: round(float(v), 4) for name, v in zip(FEATURES, x)}
        scores.update({f"p_{c.lower()}": round(float(probs[r, k]), 4) for k, c in enumerate(classes)})
        p = pool[j]
        reasons = [f"{p.paper_id} (passage {p.id}): {w}" for w in why]
        others = {t[2] for t in decisive if t[2] != relation}
        if others:
            reasons.append(f"other passages disagree ({', '.join(sorted(others))}); the most confident decides")
        reasons.append(f"MiniLM cosine {x[emb]:.2f}, TF-IDF {x[FEATURES.index('tfidf')]:.2f} with passage {p.id} "
                       f"of {p.paper_id}")
        evidence = []
        for rr, jj, *_ in sorted(judged, key=lambda t: (t[1] != j, -feats.matrix[t[0], emb])):
            q = pool[jj]
            evidence.append(EvidenceItem(passage_id=q.id, paper_id=q.paper_id,
                                         text=_snippet(q.text, feats.facts[jj].sentences[feats.best_sentence[rr]]),
                                         score=round(max(0.0, float(feats.matrix[rr, emb])), 4)))
        corroboration = [
            Corroboration(paper_id=pool[jj].paper_id, passage_id=pool[jj].id,
                          relation="restates" if rel == "corroborates" else "contradicts",
                          snippet=_snippet(pool[jj].text, feats.facts[jj].sentences[feats.best_sentence[rr]]))
            for rr, jj, rel, _, _ in decisive
        ]
        return TextVerdict(verdict=verdict, confidence=min(1.0, max(0.0, conf)), scores=scores,
                           evidence=evidence[:5], reasons=reasons, corroboration=corroboration,
                           independent=independent)
