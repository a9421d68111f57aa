"""Empirical checks of a run: which claims to check (`checks`, `question_checks`), running them
in worker processes on this machine (`pool`, `cpu_load`) or on a Ray cluster (`dispatch`,
`worker`), and the `sovereign checks` commands (`cli`)."""
