"""REPORT.md's "Published claims, checked": every claim of `claims.CLAIMS` (the tutorial's
and PEP 734's) and `engine_claims.ENGINE_CLAIMS` (uvloop's, Dask's, Ray's, the standard
library's), each with its source, the rule this run checks it by and the verdict with
the numbers that decided it.
"""

from __future__ import annotations

from comparisons.backends import twin_of
from comparisons.report.sections.claims import CLAIMS, Claim, Records
from comparisons.report.sections.context import Cells, Context
from comparisons.report.sections.engine_claims import ENGINE_CLAIMS

TITLE = "Published claims, checked"
INTRO = (
    "Claims people meet when they choose a model: those of the tutorial this project "
    "grew from (`shared/seed-tutorial.txt`), PEP 734's, and the engines' own, each with "
    "its source and the rule that checks it here, a condition this run's cells could fail."
)

LEDGER: tuple[Claim, ...] = (*CLAIMS, *ENGINE_CLAIMS)


def findings(records: Records) -> list[tuple[Claim, str, str]]:
    """Each claim of `LEDGER` with its verdict and evidence over `records`."""
    return [(claim, *claim.check(records)) for claim in LEDGER]


def claim_rows(cells: Cells) -> Records:
    """The cells claims are judged on: reference rows (run for comparison only) and
    A/A twins left out."""
    return [r for r in cells if not r.get("reference") and twin_of(r["backend"]) is None]


def render(cells: Cells, context: Context) -> list[str]:
    """Every claim against the run's cells; on a user's function, only the claims its
    cells tested."""
    lines = claims_table(claim_rows(cells))
    if not context.target:
        return lines
    kept = [line for line in lines if "| **not measured** |" not in line]
    return kept if len(kept) > 2 else ["None of the claims is about this kind of work."]


def claims_table(records: Records) -> list[str]:
    """One row per claim: the claim, its source, its verdict here, the rule that decided
    it and the numbers."""
    lines = ["| claim | source | here | rule | evidence |", "|---|---|---|---|---|"]
    for claim, verdict, evidence in findings(records):
        lines.append(
            f"| {claim.text} | {claim.source} | **{verdict}** | {claim.rule} | {evidence} |"
        )
    return lines
