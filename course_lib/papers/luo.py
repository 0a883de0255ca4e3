"""Luo, Zhang and Zhuo, *Learning modality-specific representations with self-supervised multi-task
learning for multimodal sentiment analysis* (a reproduction project of Self-MM, Yu et al., AAAI 2021,
with SVM and CNN baselines and a text-guided fusion model of their own), taught in lesson 08.

On CMU-MOSEI (16,326 / 1,871 / 4,659 clips; BERT text 768-d, audio 74-d,
vision 35-d): Self-MM reproduced and quoted from its paper, an SVM and a CNN
over ``[F_t; I_a; I_v]``, an SVM modality ablation (Table 2), sweeps of batch
size, learning rate / BERT learning rate and transformer hidden size for their
own model (Tables 3-5), and the comparison of Table 6. All figures are MAE,
Corr, binary accuracy and binary F1; the binary convention (zeros counted as
positive, ``has0``, or dropped, ``non0``) is not stated. The tables come from
single runs (no seeds or spread given).

Two inconsistencies a reader should know: the model called "Ours" has
Corr 0.751 in Tables 3-5 (the chosen setting) but 0.726 in Table 6; and the
SVM's binary accuracy (0.745) sits 0.09 below the neural models' while its
MAE is close to theirs, which suggests another binarisation.
"""

from __future__ import annotations

from course_lib.papers.base import Claim, Paper, PaperTable, of_paper

#: Columns of every table: MAE, Pearson correlation, 2-class accuracy and F1 (convention not stated).
COLUMNS: tuple[str, ...] = ("mae", "corr", "acc2", "f1")
#: The seven modality subsets of Table 2, in the paper's order.
SUBSETS: tuple[str, ...] = ("t", "a", "v", "t+a", "t+v", "a+v", "t+a+v")

ABLATION_TABLE = PaperTable(
    source="Table 2",
    caption="SVM on each subset of the modalities (t text, a audio, v vision)",
    columns=COLUMNS,
    rows={
        "t": (0.594, 0.712, 0.730, 0.734),
        "a": (0.953, 0.133, 0.512, 0.667),
        "v": (0.816, 0.268, 0.575, 0.596),
        "t+a": (0.656, 0.654, 0.728, 0.731),
        "t+v": (0.598, 0.707, 0.738, 0.741),
        "a+v": (0.821, 0.232, 0.586, 0.588),
        "t+a+v": (0.588, 0.734, 0.745, 0.751),
    },
)

BATCH_TABLE = PaperTable(
    source="Table 3",
    caption="Their text-guided model by batch size",
    columns=COLUMNS,
    rows={
        "128": (0.594, 0.734, 0.849, 0.848),
        "64": (0.563, 0.751, 0.852, 0.850),
        "32": (0.577, 0.744, 0.845, 0.847),
        "16": (0.654, 0.712, 0.837, 0.840),
    },
)

LR_TABLE = PaperTable(
    source="Table 4",
    caption="Their text-guided model by learning rate / BERT learning rate",
    columns=COLUMNS,
    rows={
        "1e-4/2e-5": (0.589, 0.733, 0.843, 0.842),
        "2e-4/2e-5": (0.563, 0.751, 0.852, 0.850),
        "2e-4/5e-5": (0.610, 0.725, 0.846, 0.847),
    },
)

HIDDEN_TABLE = PaperTable(
    source="Table 5",
    caption="Their text-guided model by transformer hidden size",
    columns=COLUMNS,
    rows={
        "256": (0.599, 0.739, 0.838, 0.839),
        "128": (0.563, 0.751, 0.852, 0.850),
        "64": (0.603, 0.744, 0.845, 0.847),
    },
)

COMPARISON_TABLE = PaperTable(
    source="Table 6",
    caption="Self-MM (reproduced and as published), SVM, CNN and their text-guided model ('Ours')",
    columns=COLUMNS,
    rows={
        "Self-MM (Reproduce)": (0.535, 0.761, 0.847, 0.843),
        "Self-MM (Paper)": (0.530, 0.765, 0.852, 0.853),
        "SVM": (0.588, 0.734, 0.745, 0.751),
        "CNN": (0.615, 0.684, 0.831, 0.830),
        "Ours": (0.563, 0.726, 0.844, 0.841),
    },
)

TABLES: dict[str, PaperTable] = {
    "ablation": ABLATION_TABLE,
    "batch": BATCH_TABLE,
    "lr": LR_TABLE,
    "hidden": HIDDEN_TABLE,
    "comparison": COMPARISON_TABLE,
}

#: The course's model names -> the rows of Table 6.
MODEL_ROWS: dict[str, str] = {
    "Self-MM": "Self-MM (Reproduce)",
    "SVM": "SVM",
    "CNN": "CNN",
    "text-guided": "Ours",
}

#: Internal inconsistencies of the paper, quoted as numbers.
INCONSISTENCIES: dict[str, str] = {
    "corr_of_ours": "'Ours' at batch 64, lr 2e-4/2e-5, hidden 128: Corr 0.751 in Tables 3-5, 0.726 in Table 6",
    "acc2_convention": "binary accuracy convention not stated; SVM 0.745 vs CNN 0.831 at MAE 0.588 vs 0.615",
    "single_task_ours": "the conclusion credits 'Ours' with unimodal supervision, but Section 4.4 trains it on y_m only",
}

CONFIGURATION: dict[str, object] = {
    "corpus": "CMU-MOSEI, 16,326 / 1,871 / 4,659 clips",
    "text": "BERT (12 layers), first token of the last layer, fine-tuned",
    "audio_vision": "74-d and 35-d toolkit features; Self-MM: single-direction LSTM, 'Ours': BiLSTM",
    "selection": "the best validation epoch, then the test split",
    "ours_chosen": {"batch_size": 64, "lr": 2e-4, "bert_lr": 2e-5, "hidden": 128},
    "svm_cnn_details": "not given (kernel, pooling, sizes)",
    "acc2_convention": "not given",
    "seeds": "not given (single runs)",
    "ulgm_rules": "not restated; taken from the Self-MM reference code (thuiar/MMSA SELF_MM)",
}

CLAIMS: dict[str, Claim] = {
    "selfmm_beats_svm": Claim(
        "selfmm_beats_svm",
        "Self-MM has a lower test MAE than the SVM (Self-MM - SVM < 0)",
        "Table 6",
        "less",
        round(0.535 - 0.588, 3),
        "Table 6: MAE 0.535 (Self-MM reproduced) vs 0.588",
    ),
    "selfmm_beats_cnn": Claim(
        "selfmm_beats_cnn",
        "Self-MM has a lower test MAE than the CNN (Self-MM - CNN < 0)",
        "Table 6",
        "less",
        round(0.535 - 0.615, 3),
        "Table 6: MAE 0.535 vs 0.615",
    ),
    "ours_beats_svm": Claim(
        "ours_beats_svm",
        "the text-guided model has a lower test MAE than the SVM (text-guided - SVM < 0)",
        "Table 6, Section 5.1",
        "less",
        round(0.563 - 0.588, 3),
        "Table 6: MAE 0.563 vs 0.588",
    ),
    "ours_beats_cnn": Claim(
        "ours_beats_cnn",
        "the text-guided model has a lower test MAE than the CNN (text-guided - CNN < 0)",
        "Table 6, Section 5.1",
        "less",
        round(0.563 - 0.615, 3),
        "Table 6: MAE 0.563 vs 0.615",
    ),
    "selfmm_beats_ours": Claim(
        "selfmm_beats_ours",
        "Self-MM stays ahead of the text-guided model (Self-MM - text-guided MAE < 0)",
        "Table 6, Section 5.1",
        "less",
        round(0.535 - 0.563, 3),
        "Table 6: MAE 0.535 vs 0.563",
    ),
    "multitask_beats_single": Claim(
        "multitask_beats_single",
        "learning from generated unimodal labels lowers the MAE against the multimodal task alone "
        "(Self-MM - M only < 0)",
        "Section 4.1 (Self-MM's central claim; no single-task row in this paper)",
        "less",
    ),
    "all_modalities_best": Claim(
        "all_modalities_best",
        "the SVM on t+a+v beats the SVM on text alone (t+a+v - t MAE < 0)",
        "Table 2",
        "less",
        round(0.588 - 0.594, 3),
        "Table 2: MAE 0.588 vs 0.594",
    ),
    "text_strongest": Claim(
        "text_strongest",
        "text alone beats vision alone (t - v MAE < 0)",
        "Table 2",
        "less",
        round(0.594 - 0.816, 3),
        "Table 2: MAE 0.594 vs 0.816",
    ),
    "vision_beats_audio": Claim(
        "vision_beats_audio",
        "vision alone beats audio alone (v - a MAE < 0)",
        "Table 2",
        "less",
        round(0.816 - 0.953, 3),
        "Table 2: MAE 0.816 vs 0.953",
    ),
}

#: Questions the course asks beside the paper's claims (ground truth of the generated corpus).
COURSE_QUESTIONS: dict[str, Claim] = {
    "generated_labels_track_truth": Claim(
        "generated_labels_track_truth",
        "(course question) ULGM's generated labels correlate better with the true unimodal sentiment "
        "than the trivial y_s = y_m does (corr(generated y_s, true y_s) - corr(y_m, true y_s) > 0)",
        "course (generator ground truth; Self-MM's Section 'unimodal label generation')",
        "greater",
    ),
    "true_labels_upper_bound": Claim(
        "true_labels_upper_bound",
        "(course question) training the sub-tasks on the corpus's own unimodal labels beats "
        "generated ones (true labels - Self-MM MAE < 0)",
        "course (the Self-MM paper's SIMS comparison, here on generated MOSEI)",
        "less",
    ),
}

CLAIMS = of_paper("luo", CLAIMS)
COURSE_QUESTIONS = of_paper("luo", COURSE_QUESTIONS)

PAPER = Paper(
    key="luo",
    citation=(
        "Z. Luo, H. Zhang, D. Zhuo. Learning modality-specific representations with self-supervised "
        "multi-task learning for multimodal sentiment analysis (reproduction of Yu et al., AAAI 2021, "
        "code: github.com/thuiar/Self-MM). Course project."
    ),
    tables=TABLES,
    configuration=CONFIGURATION,
    claims=CLAIMS,
)
