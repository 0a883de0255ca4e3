"""Femia, Paolini, D'Amico and El Husseini, *Small and large uni and multi modal language
models for sentiment analysis: a comparison* (NLP course project, University of Bologna),
taught in lessons 01-05.

Emotion recognition on IEMOCAP from text and audio, with a window of
``conv_length`` turns. Its Tables 2-4 give per-class test F1 at ``conv_length = 3``
(means over seeds 42 and 77); the paper prints no weighted F1 for them, so
:data:`DERIVED_WEIGHTED_F1` recovers one per row from the per-class values and
the Session 5 class supports of :data:`TEST_SUPPORTS` -- derived and approximate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from course_lib.papers.base import Claim, Paper, PaperTable, derived_weighted_f1, of_paper

CLASSES: tuple[str, ...] = ("neu", "fru", "ang", "sad", "hap", "exc")

TEXT_TABLE = PaperTable(
    source="Table 2",
    caption="Test F1 per class of the text models, conv_length 3 (cw = class weights)",
    columns=CLASSES,
    rows={
        "ALBERT": (0.37, 0.39, 0.34, 0.39, 0.16, 0.37),
        "ALBERT (cw)": (0.38, 0.42, 0.37, 0.47, 0.18, 0.42),
        "BiLSTM": (0.37, 0.43, 0.44, 0.46, 0.15, 0.47),
        "BiLSTM (cw)": (0.38, 0.43, 0.45, 0.43, 0.16, 0.47),
    },
)

AUDIO_TABLE = PaperTable(
    source="Table 3",
    caption="Test F1 per class of the audio models, conv_length 3 (cw = class weights)",
    columns=CLASSES,
    rows={
        "MFCC": (0.23, 0.26, 0.22, 0.37, 0.04, 0.29),
        "MFCC (cw)": (0.10, 0.25, 0.17, 0.17, 0.06, 0.21),
        "MEL": (0.12, 0.32, 0.10, 0.24, 0.0, 0.09),
        "MEL (cw)": (0.12, 0.27, 0.11, 0.22, 0.04, 0.14),
        "Chroma": (0.24, 0.26, 0.22, 0.42, 0.04, 0.20),
        "Chroma (cw)": (0.15, 0.29, 0.16, 0.37, 0.0, 0.33),
        "Wav2Vec": (0.29, 0.32, 0.38, 0.38, 0.11, 0.36),
        "Wav2Vec (cw)": (0.31, 0.33, 0.38, 0.40, 0.11, 0.37),
    },
)

FUSION_TABLE = PaperTable(
    source="Table 4",
    caption="Test F1 per class of BiLSTM (text) + Wav2Vec (audio) by fusion method, conv_length 3",
    columns=CLASSES,
    rows={
        "Add": (0.42, 0.41, 0.49, 0.48, 0.18, 0.52),
        "Add (cw)": (0.42, 0.43, 0.49, 0.50, 0.21, 0.52),
        "Concat": (0.39, 0.40, 0.48, 0.53, 0.21, 0.50),
        "Concat (cw)": (0.39, 0.42, 0.47, 0.47, 0.20, 0.55),
        "Cross Att": (0.27, 0.35, 0.45, 0.50, 0.18, 0.47),
        "Cross Att (cw)": (0.30, 0.41, 0.47, 0.45, 0.17, 0.43),
    },
)

TABLES: dict[str, PaperTable] = {"text": TEXT_TABLE, "audio": AUDIO_TABLE, "fusion": FUSION_TABLE}

#: Class supports used to derive weighted F1: the Session 5 counts of the 6-class
#: split most IEMOCAP emotion-recognition work uses (1,623 turns). The paper's
#: Table 1 lists 1,241 utterances for Session 5 without a per-class breakdown,
#: so these supports are an assumption; the derived values move by < 0.01 under
#: any plausible supports.
TEST_SUPPORTS: dict[str, int] = {"neu": 384, "fru": 381, "ang": 170, "sad": 245, "hap": 144, "exc": 299}

DERIVED_NOTE = (
    "derived, approximate: support-weighted mean of the paper's per-class F1 "
    "(Session 5 supports neu 384, fru 381, ang 170, sad 245, hap 144, exc 299)"
)

#: Row -> weighted F1 derived from Tables 2-4 (see :data:`DERIVED_NOTE`).
DERIVED_WEIGHTED_F1: dict[str, float] = {
    row: round(derived_weighted_f1(table.row(row), TEST_SUPPORTS), 4)
    for table in TABLES.values()
    for row in table.rows
}

#: The configuration behind Tables 2-4 and the best model of Figure 1.
CONFIGURATION: dict[str, object] = {
    "classes": CLASSES,
    "split_sessions": {"train": (1, 2, 3), "valid": (4,), "test": (5,)},
    "conv_length": 3,
    "text_embedder": "BiLSTM over randomly initialised word embeddings (and ALBERT)",
    "audio_embedder": "frozen wav2vec 2.0 features of the first 2 s of each turn (and MFCC/MEL/Chroma CNNs)",
    "audio_crops_s": (1, 2, 3, 4),
    "fusions": ("add", "concat", "cross-attention"),
    "best_model": "BiLSTM + wav2vec, add fusion, class weights, conv_length 3",
    "class_weights": "w_i = N / (|C| * N_i)",
    "optimizer": "Adam, learning rate 1e-3",
    "scheduler": "ReduceLROnPlateau, factor 0.4",
    "early_stopping": "on validation weighted F1",
    "batch_size_multimodal": 32,
    "seeds": (42, 77),
    "weighted_f1_footnote": "printed as sum_i (N / N_i) F1_i; the usual definition weights by N_i / N",
}


def class_margin(name: str = "hap") -> Callable[[Any, Any], float]:
    """A metric: F1 of class ``name`` minus the lowest F1 among the other classes.

    Negative means ``name`` is the worst-recognised class (the claim ``hap_is_worst_class``).
    """
    from course_lib.metrics import per_class_f1

    def margin(y_true: Any, y_pred: Any) -> float:
        scores = per_class_f1(y_true, y_pred, CLASSES)
        return scores[name] - min(v for c, v in scores.items() if c != name)

    return margin


def _gap(a: str, b: str) -> float:
    return round(DERIVED_WEIGHTED_F1[a] - DERIVED_WEIGHTED_F1[b], 4)


CLAIMS: dict[str, Claim] = {
    "small_text_comparable_to_large": Claim(
        "small_text_comparable_to_large",
        "the small BiLSTM and the large pretrained text model (ALBERT) are comparable (class weights)",
        "Table 2, Section 6",
        "similar",
        _gap("BiLSTM (cw)", "ALBERT (cw)"),
        DERIVED_NOTE,
    ),
    "class_weights_help_large_text": Claim(
        "class_weights_help_large_text",
        "class weights improve the large pretrained text model (ALBERT)",
        "Table 2, Section 6",
        "greater",
        _gap("ALBERT (cw)", "ALBERT"),
        DERIVED_NOTE,
    ),
    "text_beats_audio": Claim(
        "text_beats_audio",
        "the text model (BiLSTM) scores above the best audio model (wav2vec)",
        "Tables 2-3, Section 6",
        "greater",
        _gap("BiLSTM", "Wav2Vec"),
        DERIVED_NOTE,
    ),
    "wav2vec_best_audio": Claim(
        "wav2vec_best_audio",
        "wav2vec features beat the hand-crafted MFCC, MEL and Chroma features",
        "Table 3",
        "greater",
        _gap("Wav2Vec", "MFCC"),
        DERIVED_NOTE + "; compared with MFCC, the best hand-crafted row",
    ),
    "fusion_beats_text": Claim(
        "fusion_beats_text",
        "fusing text and audio (add, class weights) beats the text model alone",
        "Tables 2 and 4, Section 6",
        "greater",
        _gap("Add (cw)", "BiLSTM (cw)"),
        DERIVED_NOTE,
    ),
    "add_similar_to_concat": Claim(
        "add_similar_to_concat",
        "add and concat fusion perform alike (the two best fusions)",
        "Table 4, Section 6",
        "similar",
        _gap("Add", "Concat"),
        DERIVED_NOTE,
    ),
    "add_beats_cross_attention": Claim(
        "add_beats_cross_attention",
        "cross-attention is the weakest fusion: add beats it",
        "Table 4, Section 6",
        "greater",
        _gap("Add", "Cross Att"),
        DERIVED_NOTE,
    ),
    "cross_attention_below_text": Claim(
        "cross_attention_below_text",
        "cross-attention fusion scores below the text model alone",
        "Tables 2 and 4",
        "less",
        _gap("Cross Att", "BiLSTM"),
        DERIVED_NOTE,
    ),
    "context_helps": Claim(
        "context_helps",
        "a longer conversation window (conv_length 3 vs 1) improves weighted F1",
        "Figures 6-7 (plotted, no printed numbers)",
        "greater",
    ),
    "longer_audio_crops_help": Claim(
        "longer_audio_crops_help",
        "wav2vec on longer crops of each turn (4 s vs 1 s) scores higher",
        "Figure 9 (plotted, no printed numbers)",
        "greater",
    ),
    "hap_is_worst_class": Claim(
        "hap_is_worst_class",
        "hap is the worst-recognised class (its F1 minus the lowest other class's F1 is negative)",
        "Tables 2-4",
        "less",
    ),
}

#: Questions the course asks beside the paper's claims (no paper value; tested the same way).
COURSE_QUESTIONS: dict[str, Claim] = {
    "glove_helps_bilstm": Claim(
        "glove_helps_bilstm",
        "(course question) GloVe initialisation helps the BiLSTM compared with random embeddings",
        "course",
        "greater",
    ),
    "finetuning_glove_helps": Claim(
        "finetuning_glove_helps",
        "(course question) fine-tuning the GloVe vectors beats keeping them frozen",
        "course",
        "greater",
    ),
}

CLAIMS = of_paper("femia", CLAIMS)
COURSE_QUESTIONS = of_paper("femia", COURSE_QUESTIONS)

PAPER = Paper(
    key="femia",
    citation=(
        "D. Femia, R. Paolini, A. D'Amico, S. El Husseini. Small and large uni and multi modal "
        "language models for sentiment analysis: a comparison. NLP course project, University of Bologna."
    ),
    tables=TABLES,
    configuration=CONFIGURATION,
    claims=CLAIMS,
)
