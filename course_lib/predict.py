"""Your own clip: run an emotion model trained by the lessons on a recording and a transcript.

``python -m course_lib predict --audio FILE.wav --text "..." [--model NAME]``
loads a model a lesson saved under ``<data folder>/models/<NAME>/`` (a
``config.json`` and a ``model.safetensors``), computes the clip's features
exactly as in training (the same extractor, crop and training-split
standardisation; the same vocabulary), and prints the predicted emotion with
the probability of every class. The audio may have any sample rate and be
stereo or mono (it is averaged to mono and resampled to 16 kHz). A clip is
read alone: the conversation context of the lessons' windows is empty.

Models (:data:`MODELS`) and the notebook that trains and saves each:
``iemocap_text_audio``, ``iemocap_text`` and ``iemocap_audio`` are lesson
05's text + audio, text-only and audio-only models; with all three saved the
command also prints what each modality alone predicts.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

#: Saved-model name -> the notebook that trains and saves it.
MODELS: dict[str, str] = {
    "iemocap_text_audio": "05_error_analysis",
    "iemocap_text": "05_error_analysis",
    "iemocap_audio": "05_error_analysis",
    "mvsa_region_mha": "07_text_and_image",
}
#: The model used for a text + image post when ``--image`` is given without ``--model``.
DEFAULT_POST_MODEL = "mvsa_region_mha"
#: ``kind`` of a saved MVSA post predictor's configuration (:func:`course_lib.recipes.mvsa.save_predictor`).
POST_KIND = "mvsa-post-classifier"
DEFAULT_MODEL = "iemocap_text_audio"
#: Version of the saved format.
FORMAT = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


class ModelNotTrainedError(FileNotFoundError):
    """A model that no lesson run has saved yet (the message names the notebook that trains it)."""


def models_dir(data_dir: str | os.PathLike | None = None, smoke: bool = False) -> Path:
    """``<data folder>/models``, where lessons save trained models (``models/smoke`` in smoke mode).

    Smoke-mode models (tiny corpus, a few epochs) live apart so that a smoke run
    (``make test``) never replaces a full-mode model.
    """
    from course_lib.runtime import resolve_data_dir

    folder = resolve_data_dir(data_dir) / "models"
    return folder / "smoke" if smoke else folder


def find_model(name: str, folder: str | os.PathLike | None = None) -> Path:
    """The folder holding the saved model ``name``: in ``folder``, else the full-mode then smoke-mode models.

    Raises:
        ModelNotTrainedError: when no lesson run saved it (names the notebook to run).
    """
    candidates = [Path(folder)] if folder is not None else [models_dir(), models_dir(smoke=True)]
    for root in candidates:
        if (root / name / CONFIG_FILE).is_file() and (root / name / WEIGHTS_FILE).is_file():
            return root / name
    trainer = MODELS.get(name)
    how = (
        f"run notebooks/{trainer}.ipynb (any mode) to train and save it"
        if trainer
        else f"known models: {', '.join(sorted(MODELS))}"
    )
    looked = " or ".join(str(root / name) for root in candidates)
    raise ModelNotTrainedError(f"model {name!r} was never trained here (no {looked}): {how}")


# ----------------------------------------------------------------------------- saving


def save_erc_model(
    model: nn.Module,
    config: Any,
    data: Any,
    name: str,
    folder: str | os.PathLike,
    trained_by: str,
    seed: int,
    scores: Mapping[str, float] | None = None,
    smoke: bool = False,
) -> Path:
    """Save a trained emotion model as ``config.json`` + ``model.safetensors`` under ``folder/name``.

    The JSON holds the configuration, the class names, the vocabulary (BiLSTM
    text), the audio features' input size and the notebook that trained it;
    the safetensors file holds the weights and the training-split mean and
    std of the audio features (``scale.audio.mean`` / ``scale.audio.std``).

    Args:
        model: The trained :class:`course_lib.models.conversation.ConversationalModel`.
        config: Its :class:`course_lib.recipes.erc.ERCConfig`.
        data: The :class:`course_lib.recipes.erc.ERCData` it was trained on.
        name: Folder name (e.g. ``"iemocap_text_audio"``).
        folder: The models folder (see :func:`models_dir`).
        trained_by: The notebook that trained it (named in error messages).
        seed: The seed of the run.
        scores: A few metrics to show beside predictions (e.g. test weighted F1).
        smoke: Whether a smoke-mode run trained it (said when it predicts).

    Returns:
        The model's folder.
    """
    from safetensors.torch import save_file

    target = Path(folder) / name
    target.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta: dict[str, Any] = {
        "format": FORMAT,
        "task": "iemocap-emotion",
        "config": config.as_dict(),
        "classes": list(data.classes),
        "trained_by": trained_by,
        "seed": int(seed),
        "smoke": bool(smoke),
        "scores": {k: float(v) for k, v in (scores or {}).items()},
    }
    if config.text in ("bilstm_random", "bilstm_glove", "bilstm_glove_frozen"):
        vocab = data.vocab
        meta["vocab"] = {
            "tokens": list(vocab.tokens),
            "lower": vocab.lower,
            "keep_tags": vocab.keep_tags,
            "punctuation": vocab.punctuation,
        }
    if config.audio is not None:
        mean, std = data.audio_scale(config.audio, config.crop_seconds)
        tensors["scale.audio.mean"] = torch.from_numpy(np.asarray(mean, dtype=np.float32))
        tensors["scale.audio.std"] = torch.from_numpy(np.asarray(std, dtype=np.float32))
        meta["audio_dim"] = int(mean.shape[-1])
    if config.text == "minilm":
        meta["text_dim"] = int(next(iter(data.text_features("minilm").values())).shape[-1])
    tmp = target / (WEIGHTS_FILE + ".tmp")
    save_file(tensors, str(tmp))
    tmp.replace(target / WEIGHTS_FILE)
    (target / CONFIG_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return target


# ----------------------------------------------------------------------------- loading


@dataclass
class SavedModel:
    """A loaded emotion model with what its features need.

    Attributes:
        name: The model's folder name.
        model: The network (eval mode, CPU).
        config: Its :class:`course_lib.recipes.erc.ERCConfig`.
        classes: Class names, in output order.
        vocab: The training vocabulary (BiLSTM text), else None.
        audio_scale: Training-split ``(mean, std)`` of the audio features, else None.
        meta: The whole ``config.json``.
    """

    name: str
    model: nn.Module
    config: Any
    classes: tuple[str, ...]
    vocab: Any
    audio_scale: tuple[torch.Tensor, torch.Tensor] | None
    meta: dict[str, Any]

    @property
    def modalities(self) -> tuple[str, ...]:
        """The inputs the model reads (``"text"``, ``"audio"``)."""
        return self.config.modalities


def load_erc_model(name: str = DEFAULT_MODEL, folder: str | os.PathLike | None = None) -> SavedModel:
    """Load a model saved by :func:`save_erc_model`.

    Raises:
        ModelNotTrainedError: when no lesson run saved it (names the notebook to run).
        ValueError: naming the file when the saved files are not a valid model.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from course_lib.features.text import Vocabulary
    from course_lib.recipes.erc import ERCConfig, build_model

    target = find_model(name, folder)
    config_path, weights_path = target / CONFIG_FILE, target / WEIGHTS_FILE
    try:
        meta = json.loads(config_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{config_path}: line {error.lineno}: not valid JSON ({error.msg})") from error
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "config" not in meta:
        raise ValueError(f"{config_path}: not a saved course model (format {FORMAT})")
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError) as error:
        raise ValueError(f"{weights_path}: cannot read the weights ({error})") from error
    try:
        config = ERCConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in meta["config"].items()})
        classes = tuple(meta["classes"])
    except (TypeError, KeyError, ValueError) as error:
        raise ValueError(f"{config_path}: not a configuration this course can rebuild ({error})") from error
    vocab = None
    if "vocab" in meta:
        tokens = meta["vocab"]["tokens"]
        settings = {k: meta["vocab"][k] for k in ("lower", "keep_tags", "punctuation")}
        vocab = Vocabulary(tokens, [0] * len(tokens), **settings)
    shapes = _Shapes(classes, vocab, tensors, meta)
    model = build_model(config, shapes, shapes.features(config))
    weights = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as error:
        raise ValueError(
            f"{weights_path}: the weights do not fit the saved configuration ({error})"
        ) from error
    model.eval()
    scale = None
    if "scale.audio.mean" in tensors:
        scale = (tensors["scale.audio.mean"], tensors["scale.audio.std"])
    return SavedModel(name, model, config, classes, vocab, scale, meta)


class _Shapes:
    """What :func:`course_lib.recipes.erc.build_model` reads from the data, rebuilt from a saved model."""

    def __init__(self, classes: Sequence[str], vocab: Any, tensors: Mapping[str, torch.Tensor], meta: dict):
        self.classes = tuple(classes)
        self.vocab = vocab
        self._meta = meta
        embedding = tensors.get("model.embedders.text.embedding.weight")
        self._embedding_shape = tuple(embedding.shape) if embedding is not None else None

    def glove(self) -> Any:
        """A zero matrix of the saved embedding's shape (the saved weights replace it)."""

        from types import SimpleNamespace

        shape = self._embedding_shape or (len(self.vocab), 50)
        return SimpleNamespace(matrix=np.zeros(shape, dtype=np.float32))

    def features(self, config: Any) -> dict[str, dict[str, torch.Tensor]]:
        """One dummy feature per modality with the saved input sizes."""
        out: dict[str, dict[str, torch.Tensor]] = {}
        if config.text == "minilm":
            out["text"] = {"x": torch.zeros(self._meta["text_dim"])}
        if config.audio is not None:
            dim = self._meta["audio_dim"]
            out["audio"] = {"x": torch.zeros(dim) if config.audio == "whisper" else torch.zeros(1, dim)}
        return out


# ----------------------------------------------------------------------------- features of one clip


def clip_features(
    saved: SavedModel, audio: str | os.PathLike | None, text: str | None
) -> dict[str, torch.Tensor]:
    """The features of one clip as the model was trained on them.

    Shape:
        ``{"text": (L,) token ids or (384,), "audio": (T, F) frames or (384,)}``

    Raises:
        ValueError: a missing input the model needs, an empty text, or an unreadable audio file.
    """
    config = saved.config
    out: dict[str, torch.Tensor] = {}
    if "text" in saved.modalities:
        if text is None:
            raise ValueError(f"model {saved.name!r} reads text: give --text")
        if not text.strip():
            raise ValueError("the text is empty: give the clip's transcript with --text")
        if saved.vocab is not None:
            ids = saved.vocab.encode(text)[: config.max_tokens]
            out["text"] = torch.tensor(ids, dtype=torch.long)
        else:
            from course_lib.features.text import TextEmbeddings, TextEncoder

            out["text"] = torch.from_numpy(np.asarray(TextEmbeddings(TextEncoder())([text])[0]))
    if "audio" in saved.modalities:
        if audio is None:
            raise ValueError(f"model {saved.name!r} reads audio: give --audio FILE.wav")
        out["audio"] = _audio_features(config, Path(audio), saved.audio_scale)
    return out


def _audio_features(config: Any, path: Path, scale: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
    """The clip's audio features: the training extractor, crop and standardisation."""
    import warnings

    from course_lib.features.audio import AudioFeatures, load_audio
    from course_lib.recipes.erc import FRAME_FEATURES, _frames_for

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such audio file")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*resampling from.*")
        wave = load_audio(path)  # any rate, any channels -> mono 16 kHz; BadAudioError names the file
        if config.audio == "whisper":
            from course_lib.features.encoders import SpeechEmbeddings, load_speech_encoder

            extractor = SpeechEmbeddings(
                load_speech_encoder(), pooling="mean", max_seconds=config.crop_seconds
            )
            values = np.asarray(extractor([path])[0], dtype=np.float32)
        else:
            keep = _frames_for(config.crop_seconds)
            parts = [
                np.asarray(
                    AudioFeatures(kind=FRAME_FEATURES[k], backend="torchaudio").compute([wave])[0][:keep]
                )
                for k in config.audio.split("+")
            ]
            frames = min(p.shape[0] for p in parts)
            values = np.concatenate([p[:frames] for p in parts], axis=1).astype(np.float32)
    features = torch.from_numpy(values)
    if scale is not None:
        features = (features - scale[0]) / scale[1]
    return features


# ----------------------------------------------------------------------------- prediction


def predict(saved: SavedModel, features: Mapping[str, torch.Tensor]) -> dict[str, float]:
    """Class probabilities of one clip (read alone: no conversation context).

    Returns:
        ``{class: probability}`` in the model's class order.
    """
    from course_lib.data.datasets import ConversationWindowDataset
    from course_lib.data.records import Dialogue, Utterance

    turn = Utterance("clip", "clip", 0, "you", "", 0.0, 0.0, "", "", None, saved.classes[0])
    dataset = ConversationWindowDataset(
        [Dialogue("clip", 0, [turn])],
        {m: {"clip": v} for m, v in features.items()},
        saved.config.conv_length,
        saved.classes,
    )
    batch = dataset.collate([dataset[0]])
    with torch.no_grad():
        logits = saved.model(batch)
    probabilities = torch.softmax(logits.float(), dim=-1)[0]
    return {c: float(p) for c, p in zip(saved.classes, probabilities)}


def predict_clip(
    name: str, audio: str | os.PathLike | None, text: str | None, folder: str | os.PathLike | None = None
) -> dict[str, float]:
    """Class probabilities of one clip (a wav and its transcript) with the saved model ``name``.

    Raises:
        ModelNotTrainedError: naming the notebook that trains ``name``.
        ValueError: an unreadable wav, an empty text or a missing input the model needs.
    """
    saved = load_erc_model(name, folder)
    return predict(saved, clip_features(saved, audio, text))


def format_prediction(name: str, probabilities: Mapping[str, float]) -> str:
    """``"name: predicted X (p=0.41) | neu 0.20 fru 0.41 ..."``."""
    best = max(probabilities, key=probabilities.get)
    shares = " ".join(f"{c} {p:.2f}" for c, p in probabilities.items())
    return f"{name}: {best} (p={probabilities[best]:.2f}) | {shares}"


def _saved_kind(target: Path) -> str | None:
    """The ``kind`` written in a saved model's configuration (None for the emotion models)."""
    try:
        meta = json.loads((target / CONFIG_FILE).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{target / CONFIG_FILE}: line {error.lineno}: not valid JSON ({error.msg})"
        ) from error
    return meta.get("kind") if isinstance(meta, dict) else None


def _predict_post(target: Path, args: argparse.Namespace) -> int:
    """A text + image post through a saved lesson-07 predictor."""
    from course_lib.recipes.mvsa import load_predictor

    if args.audio is not None:
        raise ValueError(f"model {target.name!r} reads a post's text and image, not audio: drop --audio")
    if args.image is None or args.text is None:
        raise ValueError(f"model {target.name!r} needs both --text and --image")
    if not args.text.strip():
        raise ValueError("the text is empty: give the post's words with --text")
    out = load_predictor(target).predict_post(args.text, args.image)
    print(
        f"model {target.name} (text + image post), trained by notebooks/{MODELS.get(target.name, '07_text_and_image')}.ipynb"
    )
    print(format_prediction("prediction", out["probabilities"]))
    return 0


def _cli_predict(args: argparse.Namespace) -> int:
    folder = Path(args.models_dir) if args.models_dir else None
    name = args.model or (
        DEFAULT_POST_MODEL if args.image is not None and args.audio is None else DEFAULT_MODEL
    )
    target = find_model(name, folder)
    if _saved_kind(target) == POST_KIND:
        return _predict_post(target, args)
    if args.image is not None:
        raise ValueError(
            f"model {name!r} reads {' and '.join(MODEL_INPUTS)}, not images: drop --image "
            f"(or use --model {DEFAULT_POST_MODEL}, lesson 07's text + image model)"
        )
    saved = load_erc_model(name, folder)
    features = clip_features(saved, args.audio, args.text)
    mode = "smoke-mode (tiny corpus, few epochs) " if saved.meta.get("smoke") else ""
    print(f"{mode}model {saved.name} ({saved.config.name}), trained by {saved.meta.get('trained_by')}.ipynb")
    print("the clip is read alone (no conversation context)")
    print(format_prediction("prediction", predict(saved, features)))
    if saved.name == DEFAULT_MODEL:
        for single in ("iemocap_text", "iemocap_audio"):
            try:
                alone = load_erc_model(single, folder)
            except ModelNotTrainedError:
                continue
            one = clip_features(alone, args.audio, args.text)
            print(format_prediction(f"{single.split('_')[1]} alone", predict(alone, one)))
    return 0


#: The inputs of the IEMOCAP-style models.
MODEL_INPUTS = ("text", "audio")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``predict`` to the CLI."""
    parser = subparsers.add_parser(
        "predict", help="predict the emotion of your own clip with a lesson's model"
    )
    parser.add_argument(
        "--audio", default=None, help="a wav (or flac/ogg) file: any sample rate, mono or stereo"
    )
    parser.add_argument("--text", default=None, help="the clip's transcript")
    parser.add_argument("--image", default=None, help="an image (with --text: a post for lesson 07's model)")
    parser.add_argument(
        "--model",
        default=None,
        help=f"saved model name ({', '.join(MODELS)}; default {DEFAULT_MODEL}, or {DEFAULT_POST_MODEL} "
        "when --image is given without --audio)",
    )
    parser.add_argument("--models-dir", default=None, help="folder of saved models (default <data>/models)")
    parser.set_defaults(func=_cli_predict)
