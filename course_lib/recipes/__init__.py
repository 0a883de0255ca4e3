"""Recipes: one per paper, each a configuration and a training function on the shared base.

* :mod:`course_lib.recipes.base` -- sized configurations, seeds, comparisons, tables, claims;
* :mod:`course_lib.recipes.references` -- full-mode results shipped with the course, loaded
  instead of trained on request (:func:`reference`);
* :mod:`course_lib.recipes.store` -- the run store: finished runs kept under ``<cache>/runs`` and
  reused by later comparisons (lessons share configurations);
* :mod:`course_lib.recipes.erc` -- conversational emotion recognition on IEMOCAP (lessons 01-05);
* :mod:`course_lib.recipes.mult` -- MulT with user tokens and 5-shot personalisation on MOSI (lesson 06);
* :mod:`course_lib.recipes.mvsa` -- text + image fusion on MVSA, its sweep recipe and a saved
  post predictor (lesson 07);
* :mod:`course_lib.recipes.selfmm` -- Self-MM, its baselines and a text-guided fusion on MOSEI (lesson 08);
* :mod:`course_lib.recipes.seq2seq` -- modality translation for sentiment on MOSI (lesson 09);
* :mod:`course_lib.recipes.leaderboard` and :mod:`course_lib.recipes.capstone` -- every lesson's
  methods on one protocol per task (lesson 10).
"""

from course_lib.recipes.base import (
    Comparison,
    RecipeConfig,
    compare_configs,
    estimate,
    run_seeds,
    summarize,
    summary_table,
)
from course_lib.recipes.references import reference

__all__ = [
    "Comparison",
    "RecipeConfig",
    "compare_configs",
    "estimate",
    "reference",
    "run_seeds",
    "summarize",
    "summary_table",
]
