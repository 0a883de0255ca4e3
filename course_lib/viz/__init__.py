"""Figures of the course: audio views (``viz.audio``), result charts (``viz.results``) and the
generated corpora's hidden world (``viz.corpus``), posts with images and attention over them
(``viz.images``).

Every function returns a matplotlib Figure (or draws into a given ``ax``).
"""

from course_lib.viz.audio import plot_audio_overview, plot_chroma, plot_logmel, plot_mfcc, plot_waveform
from course_lib.viz.corpus import plot_emotion_space
from course_lib.viz.images import plot_post_grid, plot_region_attention
from course_lib.viz.results import (
    per_class_table,
    plot_attention,
    plot_by_class,
    plot_confusion_matrix,
    plot_embedding_2d,
    plot_f1_vs_conv_length,
    plot_f1_vs_crop_length,
    plot_label_trajectories,
    plot_learning_curves,
    plot_metric_curve,
    plot_misclassified_turn,
    plot_per_class_f1,
    plot_per_class_vs_paper,
    plot_prediction_shift,
    plot_translation,
    plot_user_deltas,
)

__all__ = [
    "per_class_table",
    "plot_attention",
    "plot_audio_overview",
    "plot_by_class",
    "plot_chroma",
    "plot_confusion_matrix",
    "plot_embedding_2d",
    "plot_emotion_space",
    "plot_f1_vs_conv_length",
    "plot_f1_vs_crop_length",
    "plot_label_trajectories",
    "plot_learning_curves",
    "plot_logmel",
    "plot_metric_curve",
    "plot_mfcc",
    "plot_misclassified_turn",
    "plot_per_class_f1",
    "plot_per_class_vs_paper",
    "plot_post_grid",
    "plot_prediction_shift",
    "plot_region_attention",
    "plot_translation",
    "plot_user_deltas",
    "plot_waveform",
]
