"""The papers the course teaches, as data: their tables, configurations and claims.

One module per paper (:mod:`course_lib.papers.femia` for lessons 01-05,
:mod:`course_lib.papers.lu` for lesson 06, :mod:`course_lib.papers.alfano` for lesson 07,
:mod:`course_lib.papers.luo` for lesson 08, :mod:`course_lib.papers.pham` for lesson 09). A
lesson compares its run with the paper through :func:`compare`, which returns
the claim record every lesson stores under ``claims`` --
``{"claim", "paper", "observed", "ci_low", "ci_high", "verdict", ...}`` -- and
:func:`claims_frame` renders a list of them as a table.
"""

from course_lib.papers.base import (
    Claim,
    Paper,
    PaperTable,
    beside_paper,
    claims_frame,
    compare,
    compare_values,
    derived_weighted_f1,
    of_paper,
)


def papers() -> dict[str, Paper]:
    """Every paper of the course by key (for reports that group claims by paper)."""
    from course_lib.papers import alfano, femia, lu, luo, pham

    return {paper.key: paper for paper in (femia.PAPER, lu.PAPER, alfano.PAPER, luo.PAPER, pham.PAPER)}


__all__ = [
    "Claim",
    "Paper",
    "PaperTable",
    "beside_paper",
    "claims_frame",
    "compare",
    "compare_values",
    "derived_weighted_f1",
    "of_paper",
    "papers",
]
