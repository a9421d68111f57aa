"""domain — the types every package passes along: a claim, a passage, a paper, the verdicts, an
empirical result, a review, and a run's data.

Each is declared once here, as a sqlmodel class without a table: the verifier returns them,
`kernel.storage.models` extends them into tables (`Claim(ClaimFields, table=True)`), and reports,
tribunal and the app read them. This package imports nothing of the project's own, so every
package may import it.
"""
