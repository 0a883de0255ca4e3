"""The capstone's methods: every lesson's model that fits one of the course's two tasks.

* **sentiment** (the MOSI-like corpus, test split; MAE, Corr, Acc2, Acc7, F1):
  :func:`sentiment_methods`;
* **emotion** (the IEMOCAP-like corpus, session 5; weighted F1):
  :func:`emotion_methods`.

Each function returns :class:`course_lib.recipes.leaderboard.Method` entries
built from the lessons' own recipes and configurations (smoke-sized in smoke
mode), so the leaderboard trains exactly what the lessons teach.
"""

from __future__ import annotations

from typing import Any

from course_lib.recipes.leaderboard import Method


def sentiment_methods(run: Any) -> list[Method]:
    """Lessons 06, 08 and 09's models on the MOSI-like corpus (its word-aligned file, test split)."""
    return [*_lesson06(run), *_lesson08(run), *_lesson09(run)]


def _lesson06(run: Any) -> list[Method]:
    """MulT with and without user tokens, the early-fusion LSTM and the text LSTM."""
    from course_lib.recipes import mult

    config = mult.PersonalisationConfig.sized(run.smoke)
    data = mult.load_personalisation_data(run.corpora_dir, config, run.cache_dir)

    def method(name: str, **changes: Any) -> Method:
        chosen = config.replace(**changes)
        return Method(name, "06", "sentiment", lambda seed: mult.train(chosen, data, seed, run.device))

    return [
        method("MulT + user tokens"),
        method("MulT, no user tokens", user_tokens=False),
        method("early-fusion LSTM", model="ef_lstm"),
        method("text LSTM", model="text_lstm"),
    ]


def _lesson08(run: Any) -> list[Method]:
    """Self-MM, its single-task ablation, the paper's text-guided model and the SVR on pooled features."""
    from course_lib.recipes import selfmm

    config = selfmm.SelfMMConfig.sized(run.smoke, corpus="MOSI")
    data = selfmm.load_selfmm_data(run.corpora_dir, config, run.cache_dir)

    def method(name: str, chosen: Any) -> Method:
        return Method(name, "08", "sentiment", lambda seed: selfmm.train(chosen, data, seed, run.device))

    return [
        method("Self-MM", config),
        method("Self-MM, multimodal task only", config.replace(model="m_only")),
        method("text-guided transformer fusion", config.text_guided()),
        Method(
            "SVR on pooled [text; audio; vision]",
            "08",
            "sentiment",
            lambda seed: selfmm.train_svr(data, seed=seed),
        ),
    ]


def _lesson09(run: Any) -> list[Method]:
    """The translation T -> A (sentiment from the encoder) and the standardised concatenation LSTM."""
    from course_lib.recipes import seq2seq

    config = seq2seq.TranslationConfig.sized(run.smoke)
    data = seq2seq.load_translation_data(run.corpora_dir, config, run.cache_dir)
    concat = seq2seq.baseline_configs(config)["concat(T+V+A)"]

    def method(name: str, chosen: Any) -> Method:
        return Method(name, "09", "sentiment", lambda seed: seq2seq.train(chosen, data, seed, run.device))

    return [method("Seq2Seq T -> A", config), method("concatenation LSTM (T+V+A)", concat)]


def emotion_methods(run: Any) -> tuple[list[Method], tuple[str, ...]]:
    """Lessons 01-05's models on the IEMOCAP-like corpus, around the paper's best configuration.

    Returns:
        ``(methods, class names)``.
    """
    from course_lib.recipes import erc

    data = erc.load_erc_data(run)
    best = erc.ERCConfig.paper(run.smoke)  # BiLSTM + speech encoder, add, class weights, 3 turns

    def method(name: str, lesson: str, config: Any) -> Method:
        return Method(name, lesson, "emotion", lambda seed: erc.train_erc(config, data, seed, run.device))

    methods = [
        method("text BiLSTM", "01", best.replace(audio=None)),
        method("text MiniLM (frozen)", "01", best.replace(audio=None, text="minilm")),
        method("speech encoder", "02", best.replace(text=None)),
        method("BiLSTM + speech, add (paper's best)", "03", best),
        method("BiLSTM + speech, add, turn alone", "04", best.replace(conv_length=1)),
    ]
    return methods, tuple(data.classes)


#: The leaderboard row trained like lesson 05's text + audio model (the paper's best, one turn).
CLIP_MODEL_ROW = "BiLSTM + speech, add, turn alone"


def clip_model(run: Any, emotion: Any, n_examples: int = 5) -> tuple[Any, dict[str, tuple[Any, str]]]:
    """What a :class:`course_lib.widgets.ClipPredictor` needs: lesson 05's saved text + audio model, and example clips.

    When no lesson run has saved that model yet, the emotion leaderboard's run of
    the same configuration (:data:`CLIP_MODEL_ROW`) is saved in its place.

    Args:
        run: The notebook's run.
        emotion: The emotion :class:`course_lib.recipes.leaderboard.Leaderboard`.
        n_examples: Test turns of the corpus offered as example clips.

    Returns:
        ``(predict_fn(wav_path, text) -> {class: probability}, {name: (wav path, transcript)})``.
    """
    from functools import partial

    from course_lib import predict
    from course_lib.recipes import erc

    data = erc.load_erc_data(run)
    folder = predict.models_dir(run.data_dir, run.smoke)
    try:
        predict.find_model(predict.DEFAULT_MODEL, folder)
    except predict.ModelNotTrainedError:
        result = emotion.entries[CLIP_MODEL_ROW].results[0]
        predict.save_erc_model(
            erc.trained_model(result, data, run.device),
            result.config,
            data,
            predict.DEFAULT_MODEL,
            folder,
            "10_capstone",
            result.seed,
            {"test_weighted_f1": result.test["weighted_f1"]},
            smoke=run.smoke,
        )
    turns = data.labelled("test")[:n_examples]
    examples = {f"{t.id} ({t.label})": (t.wav_path, t.text) for t in turns}
    return partial(predict.predict_clip, predict.DEFAULT_MODEL, folder=folder), examples
