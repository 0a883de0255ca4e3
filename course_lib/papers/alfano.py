"""Alfano, *Multimodal Sentiment Analysis Project* (project report), taught in lesson 07.

Text + image sentiment on an "enriched" MVSA Twitter set (variant and split not
given): a transformer text encoder (mean of the last hidden states, 128
tokens) and MobileNetV2 image features (spatial mean, 1280-d), each fine-tuned
alone and then frozen; text projected to 128 and image to 1280, a multi-head
attention layer, an FFN classifier with ReLU and dropout. Model selection on
weighted F1; accuracy, a confusion matrix and a classification report. The
report prints one set of numbers (one run, no seeds): accuracy 0.72 and the F1
of each class. Optuna is named as the next step for the hyper-parameters.
"""

from __future__ import annotations

from course_lib.papers.base import Claim, Paper, PaperTable, of_paper

CLASSES: tuple[str, ...] = ("negative", "neutral", "positive")

RESULTS_TABLE = PaperTable(
    source="Results and Observations",
    caption="The multimodal model's figures on its test split: F1 per class and accuracy",
    columns=(*CLASSES, "accuracy"),
    rows={"Multimodal (MHA)": (0.67, 0.68, 0.81, 0.72)},
)

TABLES: dict[str, PaperTable] = {"results": RESULTS_TABLE}

#: The configuration as the report gives it (and what it leaves unsaid, marked so).
CONFIGURATION: dict[str, object] = {
    "dataset": "enriched MVSA Twitter (variant, cleaning and split not given)",
    "classes": CLASSES,
    "text": "AutoTokenizer + AutoModel (model not named), 128 tokens, mean of the last hidden states",
    "image": "MobileNetV2 without classifier, MobileNetV2ImageProcessor, spatial mean (1280-d)",
    "unimodal_first": "each encoder fine-tuned alone, then frozen in the multimodal model",
    "projections": {"text": 128, "image": 1280},
    "fusion": "multi-head attention (heads not given), then FFN with ReLU and dropout",
    "selection": "weighted F1 (Hugging Face evaluate)",
    "optimiser": "not given",
    "epochs": "not given",
    "runs": 1,
    "future_work": "hyper-parameter search with optuna (lr, weight decay, heads, epochs, batch size, loss, optimiser)",
}

CLAIMS: dict[str, Claim] = {
    "multimodal_beats_text": Claim(
        "multimodal_beats_text",
        "the multimodal model beats the text-only model on weighted F1 (fusion - text > 0)",
        "Introduction, Conclusion (no unimodal figure printed)",
        "greater",
    ),
    "multimodal_beats_image": Claim(
        "multimodal_beats_image",
        "the multimodal model beats the image-only model on weighted F1 (fusion - image > 0)",
        "Introduction, Conclusion (no unimodal figure printed)",
        "greater",
    ),
    "attention_focuses": Claim(
        "attention_focuses",
        "attention lets the model focus on the relevant parts: the paper's pooled MHA beats concatenation "
        "(pooled MHA - concat > 0)",
        "Attention Mechanism",
        "greater",
    ),
    "neutral_negative_confused": Claim(
        "neutral_negative_confused",
        "negative and neutral are the weak classes: their F1 is below positive's (mean F1 of negative and "
        "neutral - F1 positive < 0)",
        "Results and Observations",
        "less",
        round((0.67 + 0.68) / 2 - 0.81, 3),
        "F1 0.67 (negative), 0.68 (neutral), 0.81 (positive); one run",
    ),
    "finetune_first_helps": Claim(
        "finetune_first_helps",
        "fine-tuning each encoder alone first, then freezing it, helps the multimodal model: the fusion on "
        "the tuned features beats the same fusion on the frozen pretrained ones (tuned - frozen > 0)",
        "Model Architectures (fine-tune first, then freeze)",
        "greater",
    ),
    "search_helps": Claim(
        "search_helps",
        "hyper-parameter search improves the model: the search winner beats the default configuration on "
        "test (winner - default > 0)",
        "Conclusion (named as future work, not measured)",
        "greater",
    ),
}

#: Questions the course asks beside the paper's claims (no paper value).
COURSE_QUESTIONS: dict[str, Claim] = {
    "head_capacity_helps": Claim(
        "head_capacity_helps",
        "(course question) on the same frozen features an MLP head beats a linear probe (MLP - probe > 0)",
        "course (head capacity)",
        "greater",
    ),
    "pooled_mha_ignores_text": Claim(
        "pooled_mha_ignores_text",
        "(course question) with one key the pooled MHA ignores the text: it scores like the image-only "
        "model (pooled MHA - image about 0)",
        "course (softmax over one key)",
        "similar",
    ),
    "region_attention_on_shapes": Claim(
        "region_attention_on_shapes",
        "(course question) region attention puts more mass on the regions holding the drawn shapes than "
        "uniform attention would (mass - chance > 0)",
        "course (generator ground truth)",
        "greater",
    ),
}

CLAIMS = of_paper("alfano", CLAIMS)
COURSE_QUESTIONS = of_paper("alfano", COURSE_QUESTIONS)

PAPER = Paper(
    key="alfano",
    citation="L. Alfano. Multimodal Sentiment Analysis Project (project report, text + image sentiment on MVSA).",
    tables=TABLES,
    configuration=CONFIGURATION,
    claims=CLAIMS,
)
