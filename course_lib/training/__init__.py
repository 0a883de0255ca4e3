"""Training: the :class:`Trainer`, class-weighted losses, few-shot fine-tuning
(:mod:`course_lib.training.fewshot`) and Optuna sweeps (:mod:`course_lib.training.sweep`);
recipes in :mod:`course_lib.recipes`."""

from course_lib.training.losses import class_weights
from course_lib.training.trainer import Trainer, load_checkpoint, save_checkpoint

__all__ = ["Trainer", "class_weights", "load_checkpoint", "save_checkpoint"]
