"""Pretrained encoders: speech (Whisper offline, any transformers model online) and images.

Speech encoders turn 16 kHz waveforms into frame embeddings ``(T_i, D)`` and
pooled utterance embeddings (``mean``, ``max``, ``meanstd``):

* offline default -- the Whisper tiny.en encoder (384-d, 50 frames/s) shipped
  in CTranslate2 format by an installed package, run with
  ``ctranslate2.models.Whisper.encode``. Whisper's 80-band log-Mel is computed
  here in torch. Audio is cut into windows of ``window_seconds`` (the last one
  zero-padded), each window is encoded on its own -- so an utterance's output
  never depends on the other items of its batch -- and the frames are trimmed
  to the utterance's length (``ceil(samples / 320)``);
* online -- any ``transformers`` speech model id or local folder
  (``facebook/wav2vec2-base``, HuBERT, WavLM, Whisper) through
  ``AutoFeatureExtractor`` / ``AutoModel``.

Image backbones give spatially averaged feature vectors and are ordinary
``nn.Module`` objects, so they can be fine-tuned:

* offline default -- EfficientNet-Lite0 with ImageNet weights (1280-d);
* online -- ``google/mobilenet_v2_1.0_224`` or any transformers vision model.

Heavy libraries (ctranslate2, transformers) are imported only when a model is loaded.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from course_lib.features import assets
from course_lib.features.audio import SAMPLE_RATE, check_waveform, load_audio

POOLINGS = ("cls", "mean", "max", "meanstd")
WHISPER_OFFLINE = "whisper-tiny.en"
EFFICIENTNET_OFFLINE = "efficientnet-lite0"


# --------------------------------------------------------------------------- loading


def from_pretrained(loader: Any, name: str | Path, what: str) -> Any:
    """``loader.from_pretrained(name)`` with a clear error when the model cannot be found.

    Args:
        loader: A transformers ``Auto*`` class.
        name: Hub id or local folder.
        what: What is loaded, for the message (e.g. ``"text model"``).

    Raises:
        OSError: naming the model and explaining the offline situation.
    """
    from transformers.utils import logging as hf_logging

    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a bar per load is noise in a lesson
    try:
        return loader.from_pretrained(str(name))
    except OSError as error:
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        hint = " The model hub is switched off (HF_HUB_OFFLINE=1)." if offline else ""
        raise OSError(
            f"cannot load the {what} {str(name)!r}: it is not a local folder and could not be fetched from "
            f"the model hub.{hint} Use the packaged offline default or a local folder. ({error})"
        ) from error
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()


# --------------------------------------------------------------------------- pooling


def masked_pool(x: torch.Tensor, mask: torch.Tensor | None = None, method: str = "mean") -> torch.Tensor:
    """Pool a padded sequence over time, ignoring padded positions.

    Args:
        x: Sequence of vectors.
        mask: True (or 1) at valid positions; all valid when None.
        method: ``"cls"`` (first position), ``"mean"``, ``"max"`` or
            ``"meanstd"`` (mean and population std concatenated). A row with no
            valid position pools to zeros.

    Shape:
        x ``(B, T, D)``, mask ``(B, T)`` -> ``(B, D)`` (``(B, 2D)`` for meanstd)
    """
    if method not in POOLINGS:
        raise ValueError(f"unknown pooling {method!r}; choose from {POOLINGS}")
    if method == "cls":
        return x[:, 0]
    if mask is None:
        mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
    valid = mask.bool().unsqueeze(-1)
    count = valid.sum(1)
    if method == "max":
        pooled = x.masked_fill(~valid, float("-inf")).amax(1)
        return torch.where(count > 0, pooled, torch.zeros_like(pooled))
    weights = valid.to(x.dtype)
    mean = (x * weights).sum(1) / count.clamp_min(1)
    if method == "mean":
        return mean
    var = (((x - mean.unsqueeze(1)) * weights) ** 2).sum(1) / count.clamp_min(1)
    return torch.cat([mean, var.sqrt()], dim=-1)


def pool_frames(frames: Sequence[np.ndarray], method: str = "mean") -> np.ndarray:
    """Pool a list of variable-length frame matrices into one vector each.

    Shape:
        each ``(T_i, D)`` -> ``(N, D)`` (``(N, 2D)`` for meanstd)
    """
    lengths = torch.tensor([len(f) for f in frames])
    padded = nn.utils.rnn.pad_sequence([torch.as_tensor(f) for f in frames], batch_first=True)
    mask = torch.arange(padded.shape[1])[None, :] < lengths[:, None]
    return masked_pool(padded, mask, method).numpy()


# --------------------------------------------------------------------------- speech encoders


def whisper_log_mel(batch: torch.Tensor, n_mels: int = 80) -> torch.Tensor:
    """Whisper's log-Mel features of a batch of 16 kHz windows.

    25 ms Hann windows every 10 ms (reflect-padded STFT, last frame dropped),
    Slaney Mel filters, ``log10`` clamped at 1e-10, dynamic range limited to
    8 (i.e. 80 dB) below each window's maximum, then ``(x + 4) / 4``.

    Shape:
        ``(B, T)`` -> ``(B, n_mels, T // 160)``
    """
    import librosa

    window = torch.hann_window(400, device=batch.device)
    stft = torch.stft(batch, 400, 160, window=window, return_complex=True)[..., :-1]
    spec = stft.real.square() + stft.imag.square()
    filters = torch.from_numpy(librosa.filters.mel(sr=SAMPLE_RATE, n_fft=400, n_mels=n_mels)).to(batch.device)
    log = torch.matmul(filters, spec).clamp_min(1e-10).log10()
    log = torch.maximum(log, log.amax(dim=(-2, -1), keepdim=True) - 8.0)
    return (log + 4.0) / 4.0


class SpeechEncoder:
    """Common interface: ``frames(waves)`` and ``embed(waves, pooling)``."""

    dim: int
    frame_rate: float

    def frames(self, waves: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Frame embeddings of each utterance, trimmed to its length.

        Shape:
            each ``(T_i,)`` samples -> ``(frames_i, dim)`` float32
        """
        raise NotImplementedError

    def embed(self, waves: Sequence[np.ndarray], pooling: str = "mean") -> np.ndarray:
        """Pooled utterance embeddings.

        Shape:
            ``N`` waveforms -> ``(N, dim)`` (``(N, 2 * dim)`` for meanstd)
        """
        return pool_frames(self.frames(waves), pooling)

    def config(self) -> dict[str, Any]:
        """What determines the outputs (used as part of cache keys)."""
        raise NotImplementedError


@dataclass
class WhisperEncoder(SpeechEncoder):
    """The Whisper tiny.en encoder run by CTranslate2 (offline default).

    Args:
        model_dir: CTranslate2 Whisper folder (the packaged tiny.en when None).
        window_seconds: Audio per encoder call, a multiple of 0.02 s up to 30 s;
            longer utterances are split into consecutive windows.
        pad_step_seconds: A shorter (last) window is zero-padded only up to the
            next multiple of this step, which saves work on short utterances.
            The padded size depends only on the utterance's own length, so
            outputs never depend on the rest of the batch.
        batch_size: Windows per encoder call.
        device: ``"cpu"`` or ``"cuda"``.
        compute_type: CTranslate2 compute type (``"default"``, ``"int8"``, ...).
        threads: CPU threads per call (0 lets CTranslate2 choose).
    """

    model_dir: str | Path | None = None
    window_seconds: float = 3.0
    pad_step_seconds: float = 1.0
    batch_size: int = 32
    device: str = "cpu"
    compute_type: str = "default"
    threads: int = 0
    dim: int = 384
    frame_rate: float = 50.0
    _model: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        import ctranslate2

        self.model_dir = Path(self.model_dir) if self.model_dir else assets.whisper_dir()
        for name in ("window_seconds", "pad_step_seconds"):
            value = getattr(self, name)
            if not 0 < value <= 30 or round(value * SAMPLE_RATE) % 320:
                raise ValueError(f"{name} must be a multiple of 0.02 s in (0, 30], got {value}")
        # The packaged weights are float16; on a CPU "default" would convert them to float32 with a
        # warning in every lesson. Asking for float32 directly gives the same numbers, quietly.
        cpu_default = self.compute_type == "default" and str(self.device) == "cpu"
        self._model = ctranslate2.models.Whisper(
            str(self.model_dir),
            device=str(self.device),
            compute_type="float32" if cpu_default else self.compute_type,
            intra_threads=self.threads,
        )

    @property
    def window_samples(self) -> int:
        """Samples per encoder window."""
        return round(self.window_seconds * SAMPLE_RATE)

    def _padded_size(self, n_samples: int) -> int:
        """Samples a window of ``n_samples`` is padded to (a multiple of the pad step)."""
        step = round(self.pad_step_seconds * SAMPLE_RATE)
        return min(self.window_samples, max(step, -(-n_samples // step) * step))

    def config(self) -> dict[str, Any]:
        """Model and windowing (the device and batch size do not change outputs)."""
        return {
            "model": WHISPER_OFFLINE,
            "model_dir": str(self.model_dir),
            "window": self.window_seconds,
            "pad_step": self.pad_step_seconds,
            "compute_type": self.compute_type,
        }

    def encode_windows(self, windows: torch.Tensor) -> np.ndarray:
        """Encode full windows of audio.

        Shape:
            ``(B, window_samples)`` -> ``(B, window_seconds * 50, 384)``
        """
        import ctranslate2

        mel = whisper_log_mel(windows).contiguous().numpy()
        return np.asarray(self._model.encode(ctranslate2.StorageView.from_array(mel), to_cpu=True))

    def frames(self, waves: Sequence[np.ndarray]) -> list[np.ndarray]:
        """See :meth:`SpeechEncoder.frames`; 20 ms per frame."""
        size = self.window_samples
        waves = [check_waveform(w, f"utterance {i}") for i, w in enumerate(waves)]
        by_size: dict[int, list[tuple[int, int]]] = {}
        for index, wav in enumerate(waves):
            for start in range(0, len(wav), size):
                by_size.setdefault(self._padded_size(min(size, len(wav) - start)), []).append((index, start))
        parts: list[dict[int, np.ndarray]] = [{} for _ in waves]
        for padded, pieces in sorted(by_size.items()):
            for first in range(0, len(pieces), self.batch_size):
                group = pieces[first : first + self.batch_size]
                batch = torch.zeros(len(group), padded)
                for row, (index, start) in enumerate(group):
                    piece = waves[index][start : start + size]
                    batch[row, : len(piece)] = torch.from_numpy(piece)
                encoded = self.encode_windows(batch)
                for row, (index, start) in enumerate(group):
                    parts[index][start] = encoded[row]
        out = []
        for rows, wav in zip(parts, waves):
            frames = np.concatenate([rows[start] for start in sorted(rows)])
            out.append(np.ascontiguousarray(frames[: max(1, math.ceil(len(wav) / 320))], dtype=np.float32))
        return out


class TransformersSpeechEncoder(SpeechEncoder):
    """Any ``transformers`` speech model (hub id or local folder) as a frame encoder.

    Whisper-type models run their encoder on 30 s padded features; CTC-style
    models (wav2vec 2.0, HuBERT, WavLM) take the raw waveform. Frames are
    trimmed with the model's own length formula. Models whose feature
    extractor returns no attention mask (e.g. ``wav2vec2-base``) see zero
    padding, so keep ``batch_size=1`` when exact batch independence matters.

    Args:
        name: Hub id or folder.
        device: Torch device.
        layer: Hidden layer to return (-1 = last).
        batch_size: Utterances per forward pass.
    """

    def __init__(
        self, name: str | Path, device: str | torch.device = "cpu", layer: int = -1, batch_size: int = 8
    ) -> None:
        from transformers import AutoFeatureExtractor, AutoModel

        self.name, self.layer, self.batch_size = str(name), layer, batch_size
        self.device = torch.device(device)
        self.processor = from_pretrained(AutoFeatureExtractor, self.name, "speech feature extractor")
        model = from_pretrained(AutoModel, self.name, "speech model")
        self.is_whisper = model.config.model_type == "whisper"
        self.model = (model.get_encoder() if self.is_whisper else model).to(self.device).eval()
        self.dim = int(getattr(model.config, "d_model", None) or model.config.hidden_size)
        self.frame_rate = 50.0

    def config(self) -> dict[str, Any]:
        """Model name and layer."""
        return {"model": self.name, "layer": self.layer}

    def _output_lengths(self, samples: torch.Tensor) -> torch.Tensor:
        if self.is_whisper:
            return torch.clamp((samples + 319) // 320, min=1)
        return self.model._get_feat_extract_output_lengths(samples).long().clamp_min(1)

    @torch.inference_mode()
    def _forward(self, waves: list[np.ndarray]) -> list[np.ndarray]:
        kwargs = {"sampling_rate": SAMPLE_RATE, "return_tensors": "pt"}
        if self.is_whisper:
            inputs = self.processor(waves, **kwargs)
            features = {"input_features": inputs["input_features"].to(self.device)}
        else:
            inputs = self.processor(waves, padding=True, **kwargs)
            features = {
                k: v.to(self.device) for k, v in inputs.items() if k in ("input_values", "attention_mask")
            }
        hidden = self.model(**features, output_hidden_states=True).hidden_states[self.layer]
        lengths = self._output_lengths(torch.tensor([len(w) for w in waves]))
        return [hidden[i, : int(n)].float().cpu().numpy() for i, n in enumerate(lengths)]

    def frames(self, waves: Sequence[np.ndarray]) -> list[np.ndarray]:
        """See :meth:`SpeechEncoder.frames`."""
        waves = [check_waveform(w, f"utterance {i}") for i, w in enumerate(waves)]
        out: list[np.ndarray] = []
        for i in range(0, len(waves), self.batch_size):
            out.extend(self._forward(waves[i : i + self.batch_size]))
        return out


def _is_ctranslate2_whisper(path: Path) -> bool:
    return path.is_dir() and (path / "model.bin").exists()


def load_speech_encoder(
    name: str | Path | None = None, device: str | torch.device = "cpu", **kwargs: Any
) -> SpeechEncoder:
    """Load a pretrained speech encoder.

    Args:
        name: None or ``"whisper-tiny.en"`` for the offline Whisper encoder; a
            CTranslate2 Whisper folder; or any transformers id / folder.
        device: Where to run it.
        **kwargs: Passed to :class:`WhisperEncoder` or :class:`TransformersSpeechEncoder`.
    """
    if name is None or str(name) == WHISPER_OFFLINE:
        return WhisperEncoder(device=str(torch.device(device).type), **kwargs)
    if _is_ctranslate2_whisper(Path(name)):
        return WhisperEncoder(model_dir=name, device=str(torch.device(device).type), **kwargs)
    return TransformersSpeechEncoder(name, device=device, **kwargs)


@dataclass
class SpeechEmbeddings:
    """A cacheable extractor: pretrained speech-encoder frames or pooled vectors per record.

    Attributes:
        encoder: A loaded :class:`SpeechEncoder`.
        pooling: None for frames ``(T_i, D)``, else ``"mean"``, ``"max"`` or ``"meanstd"``.
        max_seconds: Keep at most this much audio from the start (None = all).
    """

    encoder: SpeechEncoder
    pooling: str | None = "mean"
    max_seconds: float | None = None

    @property
    def name(self) -> str:
        """Cache folder name."""
        return "speech-encoder"

    @property
    def variable_length(self) -> bool:
        """Frames vary in number; pooled vectors do not."""
        return self.pooling is None

    def config_dict(self) -> dict[str, Any]:
        """Encoder configuration, pooling and crop."""
        return {
            "encoder": self.encoder.config(),
            "pooling": self.pooling,
            "max_seconds": self.max_seconds,
            "version": 1,
        }

    def __call__(self, records: Sequence[Any]) -> list[np.ndarray]:
        """Embeddings of a chunk of records with ``wav_path`` (or of paths)."""
        waves = [load_audio(getattr(r, "wav_path", r)) for r in records]
        if self.max_seconds is not None:
            waves = [w[: int(self.max_seconds * SAMPLE_RATE)] for w in waves]
        frames = self.encoder.frames(waves)
        if self.pooling is None:
            return frames
        return list(pool_frames(frames, self.pooling).astype(np.float32))


# --------------------------------------------------------------------------- image backbones


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 with ImageNet weights as a 1280-d feature extractor.

    The classifier is removed; :meth:`forward` returns the spatially averaged
    last feature map. The module trains like any other (``requires_grad`` is
    left on), so it can be fine-tuned. Inputs are normalised with mean = std =
    0.5 per channel, i.e. ``(x - 127.5) / 127.5`` as in the TF-Lite models.

    Args:
        weights: ``.pth`` state dict (the packaged ImageNet weights when None);
            ``False`` for random initialisation.
        keep_classifier: Keep the 1000-class ImageNet head for :meth:`logits`.
        image_size: Input side: 224 (resize to 256, centre crop, a 7x7 map) or
            any other size, taken whole at that size (128: a 4x4 map, about 4x
            faster on a CPU).
    """

    out_dim = 1280
    mean = (0.5, 0.5, 0.5)
    std = (0.5, 0.5, 0.5)

    def __init__(
        self, weights: str | Path | None | bool = None, keep_classifier: bool = False, image_size: int = 224
    ) -> None:
        super().__init__()
        self.image_size = int(image_size)
        from efficientnet_lite_pytorch import EfficientNet

        self.net = EfficientNet.from_name(EFFICIENTNET_OFFLINE)
        if weights is not False:
            path = assets.efficientnet_weights() if weights in (None, True) else Path(weights)
            self.net.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"))
        self.classifier = self.net._fc if keep_classifier else None
        self.net._fc = nn.Identity()
        self.net._dropout = nn.Identity()

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        """ImageNet class scores (needs ``keep_classifier=True``).

        Shape:
            ``(B, 3, 224, 224)`` -> ``(B, 1000)``
        """
        if self.classifier is None:
            raise RuntimeError("the ImageNet classifier was dropped; build with keep_classifier=True")
        return self.classifier(self(images))

    def preprocess(self, images: Sequence[Any]) -> torch.Tensor:
        """PIL images -> a normalised batch.

        Shape:
            returns ``(B, 3, S, S)`` with ``S = image_size``
        """
        from course_lib.features.image import to_tensor

        resize = 256 if self.image_size == 224 else self.image_size
        return torch.stack([to_tensor(im, self.image_size, resize, self.mean, self.std) for im in images])

    def feature_maps(self, images: torch.Tensor) -> torch.Tensor:
        """Last feature map before pooling.

        Shape:
            ``(B, 3, 224, 224)`` -> ``(B, 1280, 7, 7)``; ``(B, 3, 128, 128)`` -> ``(B, 1280, 4, 4)``
        """
        return self.net.extract_features(images)

    def regions(self, images: torch.Tensor) -> torch.Tensor:
        """The last feature map as a sequence of regions, row by row (their mean is :meth:`forward`).

        Shape:
            ``(B, 3, H, W)`` -> ``(B, h * w, 1280)``
        """
        return self.feature_maps(images).flatten(2).transpose(1, 2)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Spatially averaged features.

        Shape:
            ``(B, 3, H, W)`` -> ``(B, 1280)``
        """
        return self.feature_maps(images).mean(dim=(-2, -1))


class TransformersImageBackbone(nn.Module):
    """A transformers vision model (e.g. ``google/mobilenet_v2_1.0_224``) as a feature extractor.

    Returns the model's pooled output, or the spatial mean of its last hidden
    state when it has no pooler.
    """

    def __init__(self, name: str | Path) -> None:
        super().__init__()
        from transformers import AutoImageProcessor, AutoModel

        self.name = str(name)
        self.processor = from_pretrained(AutoImageProcessor, self.name, "image processor")
        self.net = from_pretrained(AutoModel, self.name, "image model")
        config = self.net.config
        self.out_dim = int(getattr(config, "hidden_size", 0) or getattr(config, "num_features", 0) or 1280)

    def preprocess(self, images: Sequence[Any]) -> torch.Tensor:
        """PIL images -> the model's pixel batch.

        Shape:
            returns ``(B, 3, H, W)``
        """
        return self.processor([im.convert("RGB") for im in images], return_tensors="pt")["pixel_values"]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled features.

        Shape:
            ``(B, 3, H, W)`` -> ``(B, out_dim)``
        """
        output = self.net(pixel_values=images)
        pooled = getattr(output, "pooler_output", None)
        if pooled is None:
            hidden = output.last_hidden_state
            pooled = hidden.mean(dim=(-2, -1)) if hidden.dim() == 4 else hidden.mean(1)
        return pooled.flatten(1)


def load_image_backbone(
    name: str | Path | None = None, device: str | torch.device = "cpu", image_size: int = 224
) -> nn.Module:
    """Load an image backbone in eval mode on ``device``.

    Args:
        name: None or ``"efficientnet-lite0"`` for the offline EfficientNet-Lite0;
            a ``.pth`` file of EfficientNet-Lite0 weights; or a transformers id / folder.
        image_size: Input side of EfficientNet-Lite0 (a transformers model uses its processor's).
    """
    if name is None or str(name) == EFFICIENTNET_OFFLINE:
        model: nn.Module = EfficientNetLite0(image_size=image_size)
    elif str(name).endswith(".pth"):
        model = EfficientNetLite0(weights=name, image_size=image_size)
    else:
        model = TransformersImageBackbone(name)
    return model.to(device).eval()


@dataclass
class ImageEmbeddings:
    """A cacheable extractor: backbone feature vectors for records with ``image_path``.

    Attributes:
        backbone: A model from :func:`load_image_backbone`.
        batch_size: Images per forward pass.
        backbone_name: Name recorded in the cache key.
    """

    backbone: nn.Module
    batch_size: int = 32
    backbone_name: str = EFFICIENTNET_OFFLINE

    @property
    def name(self) -> str:
        """Cache folder name."""
        return "image-backbone"

    variable_length = False

    def config_dict(self) -> dict[str, Any]:
        """Backbone name and preprocessing."""
        return {"backbone": self.backbone_name, "version": 1}

    def __call__(self, records: Sequence[Any]) -> list[np.ndarray]:
        """``(out_dim,)`` float32 vectors, one per record (or image path)."""
        return _image_outputs(self.backbone, self.backbone, records, self.batch_size)


@dataclass
class ImageRegions(ImageEmbeddings):
    """A cacheable extractor: the backbone's region features for records with ``image_path``.

    Each item is the last feature map as ``(regions, 1280)`` rows (a 4x4 grid,
    16 regions, at 128 px); the pooled image vector is their mean. Needs a
    backbone with a ``regions`` method (:class:`EfficientNetLite0`). The
    attributes are those of :class:`ImageEmbeddings`.
    """

    name = "image-regions"

    def config_dict(self) -> dict[str, Any]:
        """Backbone name and input size."""
        return {
            "backbone": self.backbone_name,
            "image_size": getattr(self.backbone, "image_size", None),
            "version": 1,
        }

    def __call__(self, records: Sequence[Any]) -> list[np.ndarray]:
        """``(regions, out_dim)`` float32 arrays, one per record (or image path)."""
        if not hasattr(self.backbone, "regions"):
            raise TypeError(f"{type(self.backbone).__name__} has no region features; use EfficientNetLite0")
        return _image_outputs(self.backbone, self.backbone.regions, records, self.batch_size)


@torch.inference_mode()
def _image_outputs(backbone: Any, forward: Any, records: Sequence[Any], batch_size: int) -> list[np.ndarray]:
    """``forward(preprocessed batch)`` per record with ``image_path`` (or path), in batches, as float32."""
    from course_lib.features.image import load_image

    device = next(backbone.parameters()).device
    out: list[np.ndarray] = []
    for i in range(0, len(records), batch_size):
        images = [load_image(getattr(r, "image_path", r)) for r in records[i : i + batch_size]]
        out.extend(forward(backbone.preprocess(images).to(device)).float().cpu().numpy())
    return out


def waves_from_records(records: Sequence[Any]) -> list[np.ndarray]:
    """Load the audio of records with ``wav_path`` (utility for notebooks)."""
    return [load_audio(getattr(r, "wav_path", r)) for r in records]
