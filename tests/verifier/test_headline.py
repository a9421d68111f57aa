"""The headline rule (verifier.headline): the claim's own passage never makes it SUPPORTED."""

import itertools

from verifier.headline import ONLY_AUTHORS, headline

ATTRIBUTION = ("ATTRIBUTED", "MISATTRIBUTED", "UNCHECKED", None)
INDEPENDENT = ("CORROBORATED", "CONTRADICTED", "RELATED", "NONE", None)
REPRODUCTION = ("REPRODUCED", "PARTIAL", "NOT_REPRODUCED", "NOT_TESTABLE", None)


def test_supported_needs_corroboration_or_reproduction():
    for a, i, r in itertools.product(ATTRIBUTION, INDEPENDENT, REPRODUCTION):
        h = headline(a, i, r)
        if h.status == "SUPPORTED":
            assert i == "CORROBORATED" or r == "REPRODUCED", (a, i, r)
            assert a != "MISATTRIBUTED"
        if i == "CONTRADICTED" or r == "NOT_REPRODUCED":
            assert h.status == "CONTRADICTED", (a, i, r)


def test_attribution_alone_is_only_the_authors_word():
    h = headline("ATTRIBUTED", "NONE", None)
    assert (h.status, h.reason) == ("UNVERIFIED", ONLY_AUTHORS)
    assert headline("ATTRIBUTED", "RELATED", "NOT_TESTABLE").status == "UNVERIFIED"
    assert headline("ATTRIBUTED", "NONE", "PARTIAL").reason.startswith("partly reproduced")
    assert headline("MISATTRIBUTED", "CORROBORATED", None).status == "UNVERIFIED"
