"""Pham, Manzini, Liang and Póczos, *Seq2Seq2Sentiment: Multimodal Sequence to Sequence Models for
Sentiment Analysis* (workshop slides, Carnegie Mellon University), taught in lesson 09.

An encoder-decoder translates one modality's word-aligned sequence of CMU-MOSI
into another's; sentiment is then regressed from the trained encoder's
states. Variants: ``A -> B``, ``concat(A, B) -> C``, ``A -> concat(B, C)``,
``concat(A, B) -> concat(B, C)`` and the hierarchical ``embed(A, B) -> C``.
Baselines: LSTMs over one modality and over concatenated modalities.

The slides' tables give test precision, recall and F1 of the binary (-1, +1) and
7-class (-3..3) tasks; the slides do not say how precision and recall are
averaged over classes (the course uses the support-weighted average) nor how
many runs each cell comes from. Row names keep the slides' spelling
(``concat(A,T) -> V`` is the slides' order of the modalities).
"""

from __future__ import annotations

from course_lib.papers.base import Claim, Paper, PaperTable, of_paper

#: Binary precision, recall, F1, then the same for 7 classes.
COLUMNS: tuple[str, ...] = ("precision_2", "recall_2", "f1_2", "precision_7", "recall_7", "f1_7")

UNIMODAL_TABLE = PaperTable(
    source="Unimodal baseline table",
    caption="LSTM over one modality",
    columns=COLUMNS,
    rows={
        "T": (0.77, 0.76, 0.76, 0.32, 0.35, 0.33),
        "A": (0.56, 0.56, 0.56, 0.12, 0.19, 0.14),
        "V": (0.57, 0.47, 0.48, 0.12, 0.19, 0.12),
    },
)

BIMODAL_TABLE = PaperTable(
    source="Bimodal table",
    caption="Concatenation baselines and bimodal Seq2Seq translations",
    columns=COLUMNS,
    rows={
        "concat(T+V)": (0.78, 0.67, 0.55, 0.01, 0.16, 0.05),
        "concat(T+A)": (0.44, 0.66, 0.53, 0.02, 0.15, 0.04),
        "concat(A+V)": (0.55, 0.47, 0.48, 0.13, 0.16, 0.11),
        "T -> V": (0.67, 0.67, 0.67, 0.26, 0.22, 0.22),
        "T -> A": (0.66, 0.64, 0.65, 0.28, 0.24, 0.18),
        "A -> T": (0.55, 0.60, 0.56, 0.17, 0.34, 0.11),
        "A -> V": (0.55, 0.55, 0.54, 0.16, 0.18, 0.16),
        "V -> T": (0.58, 0.58, 0.58, 0.05, 0.16, 0.08),
        "V -> A": (0.58, 0.62, 0.58, 0.12, 0.17, 0.01),
    },
)

TRIMODAL_TABLE = PaperTable(
    source="Trimodal table",
    caption="Trimodal concatenation baseline, hierarchical and concatenated Seq2Seq variants",
    columns=COLUMNS,
    rows={
        "concat(T+V+A)": (0.75, 0.75, 0.75, 0.24, 0.27, 0.24),
        "embed(T,V) -> A": (0.56, 0.60, 0.57, 0.10, 0.16, 0.09),
        "embed(T,A) -> V": (0.60, 0.55, 0.56, 0.26, 0.15, 0.07),
        "embed(A,V) -> T": (0.66, 0.53, 0.44, 0.16, 0.04, 0.09),
        "embed(A,T) -> V": (0.59, 0.51, 0.52, 0.13, 0.15, 0.09),
        "embed(V,T) -> A": (0.59, 0.60, 0.59, 0.11, 0.17, 0.10),
        "embed(V,A) -> T": (0.57, 0.61, 0.58, 0.11, 0.17, 0.09),
        "concat(T,V) -> A": (0.67, 0.66, 0.65, 0.22, 0.17, 0.18),
        "concat(A,T) -> V": (0.54, 0.55, 0.63, 0.19, 0.15, 0.21),
        "concat(V,A) -> T": (0.59, 0.59, 0.58, 0.16, 0.12, 0.12),
        "T -> concat(A,V)": (0.70, 0.65, 0.66, 0.23, 0.22, 0.18),
        "A -> concat(T,V)": (0.55, 0.53, 0.54, 0.18, 0.20, 0.18),
        "concat(T,A) -> concat(T,V)": (0.62, 0.60, 0.61, 0.23, 0.24, 0.22),
        "concat(T,V) -> concat(T,A)": (0.68, 0.70, 0.67, 0.31, 0.24, 0.19),
    },
)

TABLES: dict[str, PaperTable] = {
    "unimodal": UNIMODAL_TABLE,
    "bimodal": BIMODAL_TABLE,
    "trimodal": TRIMODAL_TABLE,
}

#: The method in the slides (and what it leaves unsaid, marked so), with the MCTN reference code's defaults.
CONFIGURATION: dict[str, object] = {
    "corpus": "CMU-MOSI, 2,199 segments of 93 videos, word-aligned text, audio and video",
    "encoder_decoder": "RNN encoder-decoder; phase 1 translation, phase 2 regression RNN on the encoder",
    "translation_loss": "'cross_entropy' on the decoded sequence (the features are continuous)",
    "regression": "RNN with soft attention over time, linear output, MAE loss",
    "optimizer": "SGD",
    "hierarchical": "phase 1 X -> Y; phase 2 encode E_XY, decode Z; phase 3 regression on E_XYZ",
    "hidden_size": "not given (MCTN code: 32)",
    "epochs": "not given (MCTN code: 200, early stopping patience 20)",
    "feature_standardisation": "not given",
    "averaging_of_precision_recall": "not given",
    "runs_per_cell": "not given",
    "mctn_code": "joint loss 0.1 MSE(translation) + 0.1 MSE(cycle) + MAE, Adam 1e-4, always teacher-forced",
}

CLAIMS: dict[str, Claim] = {
    "seq2seq_beats_concat": Claim(
        "seq2seq_beats_concat",
        "bimodal translation T -> A beats the concatenation baseline concat(T+A) (binary F1)",
        "Bimodal table ('12 point boost')",
        "greater",
        round(0.65 - 0.53, 2),
        "Bimodal table: T -> A 0.65 vs concat(T+A) 0.53",
    ),
    "seq2seq_beats_concat_7": Claim(
        "seq2seq_beats_concat_7",
        "bimodal translation T -> A beats concat(T+A) on the 7-class F1",
        "Bimodal table ('large 7-class gains')",
        "greater",
        round(0.18 - 0.04, 2),
        "Bimodal table: 7-class F1 0.18 vs 0.04",
    ),
    "text_source_better": Claim(
        "text_source_better",
        "translating from text beats translating into text: T -> A vs A -> T (binary F1)",
        "Bimodal table",
        "greater",
        round(0.65 - 0.56, 2),
        "Bimodal table: T -> A 0.65 vs A -> T 0.56",
    ),
    "trimodal_concat_strongest": Claim(
        "trimodal_concat_strongest",
        "the trimodal concatenation baseline beats the best trimodal translation T -> concat(A,V) (binary F1)",
        "Trimodal table",
        "greater",
        round(0.75 - 0.66, 2),
        "Trimodal table: concat(T+V+A) 0.75 vs T -> concat(A,V) 0.66",
    ),
    "hierarchical_no_help": Claim(
        "hierarchical_no_help",
        "the hierarchical embed(T,A) -> V does not beat the flat concat(T,A) -> V (binary F1, a - b < 0)",
        "Trimodal table",
        "less",
        round(0.56 - 0.63, 2),
        "Trimodal table: embed(T,A) -> V 0.56 vs concat(A,T) -> V 0.63",
    ),
    "slower_training": Claim(
        "slower_training",
        "Seq2Seq models take longer to train than the concatenation LSTM (seconds per model, a - b > 0)",
        "Conclusions ('significantly longer training times'; no number)",
        "greater",
    ),
}

#: Questions the course asks beside the slides' claims (no value in the slides; tested the same way).
COURSE_QUESTIONS: dict[str, Claim] = {
    "concat_fails_unstandardised": Claim(
        "concat_fails_unstandardised",
        "(course question) concat(T+A) on unstandardised features is worse than on standardised ones "
        "(binary F1, a - b < 0)",
        "course (the near-constant concat baselines of the slides)",
        "less",
    ),
    "seq2seq_beats_raw_concat": Claim(
        "seq2seq_beats_raw_concat",
        "(course question) T -> A beats concat(T+A) on unstandardised features (binary F1)",
        "course",
        "greater",
    ),
    "robust_to_missing_target": Claim(
        "robust_to_missing_target",
        "(course question, MCTN's claim) with audio missing at test, T -> A beats concat(T+A) fed zeros "
        "for audio (binary F1)",
        "Pham et al., AAAI 2019 (MCTN), not these slides",
        "greater",
    ),
    "translation_learns": Claim(
        "translation_learns",
        "(course question) the T -> A translation has a lower test MSE than predicting the training mean "
        "frame (MSE per clip, a - b < 0)",
        "course",
        "less",
    ),
}

CLAIMS = of_paper("pham", CLAIMS)
COURSE_QUESTIONS = of_paper("pham", COURSE_QUESTIONS)

PAPER = Paper(
    key="pham",
    citation=(
        "H. Pham, T. Manzini, P. P. Liang, B. Póczos. Seq2Seq2Sentiment: Multimodal Sequence to Sequence "
        "Models for Sentiment Analysis. Workshop slides, Carnegie Mellon University."
    ),
    tables=TABLES,
    configuration=CONFIGURATION,
    claims=CLAIMS,
)
