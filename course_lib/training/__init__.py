"""Training: the :class:`Trainer`, class-weighted losses and multi-seed experiments."""

from course_lib.training.experiments import Experiment, run_seeds, summarize, summary_table
from course_lib.training.losses import class_weights
from course_lib.training.trainer import Trainer, load_checkpoint, save_checkpoint

__all__ = [
    "Experiment",
    "Trainer",
    "class_weights",
    "load_checkpoint",
    "run_seeds",
    "save_checkpoint",
    "summarize",
    "summary_table",
]
