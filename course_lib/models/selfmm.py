"""Self-MM (Yu et al., AAAI 2021) with its Unimodal Label Generation Module, and a text-guided fusion, for lesson 08.

**Self-MM** (:class:`SelfMM`) learns one multimodal task and three unimodal
sub-tasks on hard-shared bottoms:

* text: the clip's frozen MiniLM token states, mask-aware mean (the course's
  stand-in for BERT's [CLS]), then a trainable ``Linear -> ReLU`` projection;
  optionally (``text_tail``) a trainable copy of MiniLM's last layer first runs
  over the cached states entering it (:func:`tail_tokens`), the CPU-sized
  version of the reference's fine-tuned BERT;
* audio and vision: a single-direction LSTM over the clip's real steps, its
  final state -> dropout -> ``Linear`` (MMSA's ``AuViSubNet``);
* fusion: ``[F_t; F_a; F_v]`` -> dropout -> ``Linear -> ReLU`` gives
  ``F_m*`` (``features["M"]``), then ``Linear -> ReLU -> Linear`` gives ŷ_m;
* unimodal heads: per modality, dropout -> ``Linear -> ReLU`` gives the
  unimodal feature ``F_s`` (``features[s]``), then ``Linear -> ReLU -> Linear``
  gives ŷ_s. Only ŷ_m (``"prediction"``) is used at test time.

**ULGM** (:class:`ULGM`) generates the unimodal labels ``y_s`` the sub-tasks
learn from, following the reference implementation (thuiar/MMSA ``SELF_MM``):

1. before epoch 1, ``y_t = y_a = y_v = y_m`` for every training clip;
2. after every training batch, from epoch 2 on (before the bank update):
   relative distances ``δ_s = (D_n - D_p) / (D_p + ε)`` of each clip's
   feature to its modality's positive and negative centres, likewise ``δ_m``
   on ``F_m*``; ``α = δ_s / (δ_m + ε)``; the new label
   ``ŷ_s = ½ α y_m + ½ (y_m + δ_s - δ_m)`` clamped to ``[-H, H]``; the
   momentum update ``y_s <- (n - 1)/(n + 1) y_s + 2/(n + 1) ŷ_s`` at epoch ``n``;
3. the batch's detached features are written into the bank and every centre
   is recomputed from the whole bank: ``C_s^pos`` the mean feature of the
   clips with ``y_s > 0`` (``>= 0`` without ``exclude_zero``), ``C_s^neg`` of
   those with ``y_s < 0``, each modality with its own current labels;
4. the loss is ``mean|ŷ_m - y_m| + Σ_s mean(w_s |ŷ_s - y_s|)`` with
   ``w_s = tanh(|y_s - y_m|)``: 0 in epoch 1, when every ``y_s = y_m``.

Where the course departs from the reference code, on purpose: the bank is
sized from the training data (MMSA takes a configured ``train_samples``);
centres use only clips already written to the bank (MMSA's bank starts at
zeros, which pull the centres towards the origin during epoch 1); a class
with no clip leaves its centre undefined (MMSA's mean of nothing is NaN,
which then spreads into every label), and the labels of a modality whose
centres are undefined are left unchanged until they exist again.

**Text-guided two-stage fusion** (:class:`TextGuidedFusion`, the taught
paper's own model): text mapped by an MLP to the audio/vision width, BiLSTM
audio and vision, two transformer stages over two-token sequences
(``[F_t; F_a]`` and ``[F_t; F_v]``), a final transformer over their outputs
and an MLP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from course_lib.models.registry import register
from course_lib.models.sequence import LSTMEncoder, length_mask, masked_pool

__all__ = [
    "MODALITIES",
    "TASKS",
    "ULGM",
    "SelfMM",
    "TextGuidedFusion",
    "build_selfmm",
    "build_text_guided",
    "pooled_text",
    "tail_tokens",
]

MODALITIES: tuple[str, ...] = ("text", "audio", "vision")
#: Self-MM's tasks: the multimodal one and the three unimodal ones (the keys of labels and outputs).
TASKS: tuple[str, ...] = ("M", "T", "A", "V")
UNIMODAL: tuple[str, ...] = ("T", "A", "V")
_OF_TASK = {"T": "text", "A": "audio", "V": "vision"}
EPS = 1e-8


def _lengths(batch: Mapping[str, Any], modality: str) -> torch.Tensor:
    x = batch[modality]
    if f"{modality}_lengths" in batch:
        return batch[f"{modality}_lengths"].to(x.device).long()
    return torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)


def pooled_text(batch: Mapping[str, Any]) -> torch.Tensor:
    """Mask-aware mean of the text steps (one step already pooled stays as it is).

    Shape:
        batch ``text`` ``(B, T, D)`` with ``text_lengths`` ``(B,)`` -> ``(B, D)``.
    """
    text = batch["text"].float()
    mask = length_mask(_lengths(batch, "text"), text.shape[1])
    return masked_pool(text, mask, "mean")


def tail_tokens(tail: nn.Module, batch: Mapping[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """A text tail over ``[CLS] + pieces + [SEP]`` (``text_pretail``), then [CLS] and [SEP] dropped.

    The rows kept are those of the ``"minilm_tokens"`` features (an empty
    transcript keeps its [SEP] row), so before training they equal them.

    Args:
        tail: A :class:`course_lib.features.tails.TextTail`.
        batch: Holds ``text_pretail`` and ``text_pretail_lengths``.

    Shape:
        ``text_pretail`` ``(B, L + 2, D)`` -> tokens ``(B, L + 1, D)``, lengths ``(B,)`` (real pieces per clip).
    """
    states = batch["text_pretail"].float()
    lengths = _lengths(batch, "text_pretail")
    out = tail(states, length_mask(lengths, states.shape[1]))
    return out[:, 1:], torch.clamp(lengths - 2, min=1)


class _SubNet(nn.Module):
    """MMSA's ``AuViSubNet``: one LSTM layer, final state, dropout, linear map.

    Shape:
        x ``(B, T, input_dim)``, lengths ``(B,)`` -> ``(B, out_dim)``.
    """

    def __init__(self, input_dim: int, hidden: int, out_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.lstm = LSTMEncoder(input_dim, hidden, readout="last")
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(hidden, out_dim)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(self.lstm(x.float(), lengths)))


class _Head(nn.Module):
    """dropout -> Linear -> ReLU (the feature a task's labels are generated from) -> Linear -> ReLU -> Linear.

    Shape:
        ``(B, input_dim)`` -> (feature ``(B, dim)``, score ``(B,)``).
    """

    def __init__(self, input_dim: int, dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.feature = nn.Linear(input_dim, dim)
        self.hidden = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feature = torch.relu(self.feature(self.dropout(x)))
        return feature, self.out(torch.relu(self.hidden(feature))).squeeze(-1)


class SelfMM(nn.Module):
    """Self-MM's network: shared bottoms, a fusion head and three unimodal heads (see the module docstring).

    Args:
        input_dims: Features per step of ``text``, ``audio`` and ``vision``.
        text_out: Width of the trainable text projection (the text bottom).
        audio_hidden, vision_hidden: LSTM units; audio_out, vision_out: their output widths.
        fusion_dim: Width of ``F_m*`` (MMSA: 128).
        post_dims: Width of each unimodal feature ``F_s`` (MMSA MOSEI: T 32, A 16, V 32).
        fusion_dropout: Dropout before the fusion layer (MMSA MOSEI: 0.1); dropout: elsewhere.
        text_tail: A trainable copy of the text model's last layer
            (:class:`course_lib.features.tails.TextTail`); the batch then needs ``text_pretail``
            ``(B, T + 2, Dt)`` and the text bottom pools the tail's output instead of ``text``.

    Shape:
        batch ``{text (B, T, Dt), audio (B, Ta, Da), vision (B, Tv, Dv)}`` plus lengths ->
        ``{"prediction": (B,), "T", "A", "V": (B,), "features": {"M": (B, fusion_dim), s: (B, post_dims[s])}}``.
    """

    def __init__(
        self,
        input_dims: Mapping[str, int],
        text_out: int = 128,
        audio_hidden: int = 16,
        audio_out: int = 16,
        vision_hidden: int = 32,
        vision_out: int = 32,
        fusion_dim: int = 128,
        post_dims: Mapping[str, int] | None = None,
        fusion_dropout: float = 0.1,
        dropout: float = 0.0,
        text_tail: nn.Module | None = None,
    ) -> None:
        super().__init__()
        post = {"T": 32, "A": 16, "V": 32, **(post_dims or {})}
        self.text = nn.Sequential(nn.Linear(input_dims["text"], text_out), nn.ReLU())
        self.audio = _SubNet(input_dims["audio"], audio_hidden, audio_out, dropout)
        self.vision = _SubNet(input_dims["vision"], vision_hidden, vision_out, dropout)
        widths = {"T": text_out, "A": audio_out, "V": vision_out}
        self.fusion = _Head(sum(widths.values()), fusion_dim, fusion_dropout)
        self.heads = nn.ModuleDict({s: _Head(widths[s], post[s], dropout) for s in UNIMODAL})
        self.feature_dims = {"M": fusion_dim, **{s: post[s] for s in UNIMODAL}}
        self.text_tail = text_tail

    def pooled_text(self, batch: Mapping[str, Any]) -> torch.Tensor:
        """The text entering the text bottom: mean of the frozen tokens, or of the tail's output.

        Shape:
            ``(B, Dt)``.
        """
        if self.text_tail is None:
            return pooled_text(batch)
        tokens, lengths = tail_tokens(self.text_tail, batch)
        return masked_pool(tokens, length_mask(lengths, tokens.shape[1]), "mean")

    def forward(self, batch: Mapping[str, Any]) -> dict[str, Any]:
        bottoms = {
            "T": self.text(self.pooled_text(batch)),
            "A": self.audio(batch["audio"], _lengths(batch, "audio")),
            "V": self.vision(batch["vision"], _lengths(batch, "vision")),
        }
        feature_m, prediction = self.fusion(torch.cat([bottoms[s] for s in UNIMODAL], dim=-1))
        out: dict[str, Any] = {"prediction": prediction, "features": {"M": feature_m}}
        for s in UNIMODAL:
            out["features"][s], out[s] = self.heads[s](bottoms[s])
        return out


class ULGM:
    """Self-MM's Unimodal Label Generation Module: label bank, feature bank, centres, momentum, history.

    Use it as the Trainer's ``objective`` and as a hook (``hooks=[ulgm]``);
    training items must carry their integer ``index`` into the training set.

    Args:
        labels: The multimodal labels ``y_m`` of the training clips; the banks
            are sized from them. Shape: ``(N,)``.
        feature_dims: Width of each task's feature (:attr:`SelfMM.feature_dims`).
        H: Bound of the generated labels (MMSA: 3.0).
        exclude_zero: Positive centres from ``y_s > 0`` (True, MMSA's MOSEI
            setting) or ``y_s >= 0``.
        update: Generate labels (True: Self-MM); False keeps the initial ones
            (``y_s = y_m``, or ``fixed`` when given).
        fixed: Unimodal labels to use instead of generated ones (e.g. a
            corpus's own, the upper bound), ``{s: (N,)}`` for ``s`` in T, A, V.
        tasks: Tasks in the loss: ``("M", "T", "A", "V")`` or ``("M",)`` (single task).

    Attributes:
        labels: ``{task: (N,) float tensor}``; ``labels["M"]`` never changes.
        bank: ``{task: (N, d) tensor}`` of the latest detached features.
        seen: ``(N,)`` bool, the clips already written to the bank.
        centres: ``{task: {"pos": (d,) or None, "neg": (d,) or None}}``.
        history: ``[(epoch, {task: (N,) numpy})]``: epoch 0 the initial labels, then each epoch's end.
        epoch: The epoch in progress (set by :meth:`on_epoch_start`).
        skipped: ``{task: number of batches}`` whose update was skipped for an undefined centre.
    """

    def __init__(
        self,
        labels: Sequence[float] | np.ndarray | torch.Tensor,
        feature_dims: Mapping[str, int],
        H: float = 3.0,
        exclude_zero: bool = True,
        update: bool = True,
        fixed: Mapping[str, Sequence[float]] | None = None,
        tasks: Sequence[str] = TASKS,
    ) -> None:
        y_m = torch.as_tensor(np.asarray(labels, dtype=np.float32)).reshape(-1)
        if y_m.numel() == 0:
            raise ValueError("ULGM needs at least one training label")
        unknown = [t for t in tasks if t not in TASKS]
        if unknown or "M" not in tasks:
            raise ValueError(f"tasks must include 'M' and come from {TASKS}, got {tuple(tasks)}")
        self.size = int(y_m.numel())
        self.H = float(H)
        self.exclude_zero = exclude_zero
        self.update = update and fixed is None
        self.tasks = tuple(tasks)
        self.labels: dict[str, torch.Tensor] = {"M": y_m.clone()}
        for s in UNIMODAL:
            source = y_m if fixed is None else torch.as_tensor(np.asarray(fixed[s], dtype=np.float32))
            if source.numel() != self.size:
                raise ValueError(f"fixed labels of {s} have {source.numel()} values for {self.size} clips")
            self.labels[s] = source.reshape(-1).clone()
        self.bank = {t: torch.zeros(self.size, int(feature_dims[t])) for t in TASKS}
        self.seen = torch.zeros(self.size, dtype=torch.bool)
        self.centres: dict[str, dict[str, torch.Tensor | None]] = {
            t: {"pos": None, "neg": None} for t in TASKS
        }
        self.history: list[tuple[int, dict[str, np.ndarray]]] = [(0, self.snapshot())]
        self.epoch = 1
        self.skipped = {t: 0 for t in TASKS}

    # ------------------------------------------------------------------ the rules

    def snapshot(self) -> dict[str, np.ndarray]:
        """A copy of the current labels, ``{task: (N,)}``."""
        return {t: v.numpy().copy() for t, v in self.labels.items()}

    def update_centres(self) -> None:
        """Recompute every centre from the clips in the bank, each task with its own current labels.

        A class without any clip gets ``None`` (no NaN).
        """
        for t in TASKS:
            labels, seen = self.labels[t], self.seen
            positive = (labels > 0) if self.exclude_zero else (labels >= 0)
            for side, chosen in (("pos", positive & seen), ("neg", (labels < 0) & seen)):
                self.centres[t][side] = self.bank[t][chosen].mean(0) if bool(chosen.any()) else None

    def relative_distance(self, task: str, features: torch.Tensor) -> torch.Tensor | None:
        """``δ = (D_n - D_p) / (D_p + ε)`` of each feature row to the task's centres; None when a centre is undefined.

        Shape:
            features ``(B, d)`` -> ``(B,)``.
        """
        pos, neg = self.centres[task]["pos"], self.centres[task]["neg"]
        if pos is None or neg is None:
            return None
        d_p = torch.linalg.vector_norm(features - pos, dim=-1)
        d_n = torch.linalg.vector_norm(features - neg, dim=-1)
        return (d_n - d_p) / (d_p + EPS)

    def new_labels(self, y_m: torch.Tensor, delta_s: torch.Tensor, delta_m: torch.Tensor) -> torch.Tensor:
        """``ŷ_s = ½ α y_m + ½ (y_m + δ_s - δ_m)``, ``α = δ_s / (δ_m + ε)``, clamped to ``[-H, H]``.

        Shape:
            all ``(B,)`` -> ``(B,)``.
        """
        alpha = delta_s / (delta_m + EPS)
        return torch.clamp(0.5 * alpha * y_m + 0.5 * (y_m + delta_s - delta_m), -self.H, self.H)

    def update_labels(self, indexes: torch.Tensor, features: Mapping[str, torch.Tensor], epoch: int) -> None:
        """Momentum update of the unimodal labels of ``indexes`` (from epoch 2; no-op before).

        ``y_s <- (n - 1)/(n + 1) y_s + 2/(n + 1) ŷ_s`` with ``n = epoch``.

        Shape:
            indexes ``(B,)``; features ``{task: (B, d)}``.
        """
        if not self.update or epoch < 2:
            return
        indexes = indexes.cpu().long()
        delta_m = self.relative_distance("M", features["M"].detach().float().cpu())
        if delta_m is None:
            for s in UNIMODAL:
                self.skipped[s] += 1
            return
        y_m = self.labels["M"][indexes]
        for s in UNIMODAL:
            delta_s = self.relative_distance(s, features[s].detach().float().cpu())
            if delta_s is None:
                self.skipped[s] += 1
                continue
            proposed = self.new_labels(y_m, delta_s, delta_m)
            n = float(epoch)
            self.labels[s][indexes] = (n - 1) / (n + 1) * self.labels[s][indexes] + 2 / (n + 1) * proposed

    def update_bank(self, indexes: torch.Tensor, features: Mapping[str, torch.Tensor]) -> None:
        """Write the batch's detached features into the bank and recompute the centres."""
        indexes = indexes.cpu().long()
        for t in TASKS:
            self.bank[t][indexes] = features[t].detach().float().cpu()
        self.seen[indexes] = True
        self.update_centres()

    def weights(self, indexes: torch.Tensor) -> dict[str, torch.Tensor]:
        """``w_s = tanh(|y_s - y_m|)`` of each unimodal task for the clips ``indexes`` (0 in epoch 1).

        Shape:
            indexes ``(B,)`` -> ``{s: (B,)}``.
        """
        indexes = indexes.cpu().long()
        y_m = self.labels["M"][indexes]
        return {s: torch.tanh(torch.abs(self.labels[s][indexes] - y_m)) for s in UNIMODAL}

    # ------------------------------------------------------------------ the Trainer's objective and hooks

    def objective(self, outputs: Mapping[str, Any], batch: Mapping[str, Any]) -> tuple[torch.Tensor, dict]:
        """The multi-task loss on a training batch; ``mean|ŷ_m - y_m|`` when evaluating (no gradients).

        Evaluation batches index another split, so only the multimodal task,
        whose labels every split has, is scored there.
        """
        prediction = outputs["prediction"].reshape(-1)
        target = batch["label"].float().reshape(-1).to(prediction.device)
        loss_m = torch.mean(torch.abs(prediction - target))
        if not torch.is_grad_enabled():
            return loss_m, {"loss_M": float(loss_m.detach())}
        loss, logs = loss_m, {"loss_M": float(loss_m.detach())}
        weights = self.weights(batch["index"])
        for s in UNIMODAL:
            if s not in self.tasks:
                continue
            labels = self.labels[s][batch["index"].cpu().long()].to(prediction.device)
            w = weights[s].to(prediction.device)
            term = torch.mean(w * torch.abs(outputs[s].reshape(-1) - labels))
            loss = loss + term
            logs[f"loss_{s}"] = float(term.detach())
            logs[f"w_{s}"] = float(w.mean())
        return loss, logs

    def on_epoch_start(self, trainer: Any, epoch: int) -> None:
        """Remember the epoch (the momentum uses it)."""
        self.epoch = int(epoch)

    def on_train_batch_end(
        self, trainer: Any, batch: Mapping[str, Any], outputs: Mapping[str, Any], loss: Any
    ) -> None:
        """Labels first (from epoch 2), then the bank and the centres, as the reference trainer does."""
        self.update_labels(batch["index"], outputs["features"], self.epoch)
        self.update_bank(batch["index"], outputs["features"])

    def on_epoch_end(self, trainer: Any, epoch: int, record: Mapping[str, Any]) -> None:
        """Keep the epoch's labels in :attr:`history`."""
        self.history.append((int(epoch), self.snapshot()))

    def trajectories(self, task: str) -> np.ndarray:
        """Labels of one task after each recorded epoch. Shape: ``(epochs + 1, N)``."""
        return np.stack([labels[task] for _, labels in self.history])


class TextGuidedFusion(nn.Module):
    """The taught paper's model: text guides two transformer stages, then a final one.

    ``F_t = MLP(text)`` to width ``dim``; ``F_a``, ``F_v`` = BiLSTM final
    states (``dim / 2`` per direction); ``F_m1 = TRM([F_t; F_a])``,
    ``F_m2 = TRM([F_t; F_v])``; ``ŷ = MLP(TRM([F_m1; F_m2]))``. Each TRM is
    one ``nn.TransformerEncoderLayer`` (``heads`` heads, feed-forward width
    ``hidden``, the size the paper sweeps) over a two-token sequence,
    mean-pooled; the three TRMs have their own weights (the paper does not
    say whether stage 1 shares them).

    Shape:
        batch ``{text (B, T, Dt), audio (B, Ta, Da), vision (B, Tv, Dv)}`` -> ``{"prediction": (B,)}``.
    """

    def __init__(
        self,
        input_dims: Mapping[str, int],
        dim: int = 128,
        hidden: int = 128,
        heads: int = 4,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        if dim % 2 or dim % heads:
            raise ValueError(f"dim ({dim}) must be even and divisible by heads ({heads})")
        self.text = nn.Sequential(
            nn.Linear(input_dims["text"], dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, dim)
        )
        self.audio = LSTMEncoder(input_dims["audio"], dim // 2, bidirectional=True)
        self.vision = LSTMEncoder(input_dims["vision"], dim // 2, bidirectional=True)

        def trm() -> nn.TransformerEncoderLayer:
            return nn.TransformerEncoderLayer(dim, heads, hidden, dropout, batch_first=True)

        self.stage_audio, self.stage_vision, self.final = trm(), trm(), trm()
        self.head = nn.Sequential(nn.Linear(dim, dim // 2), nn.ReLU(), nn.Linear(dim // 2, 1))

    @staticmethod
    def _pair(layer: nn.TransformerEncoderLayer, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return layer(torch.stack([a, b], dim=1)).mean(1)

    def forward(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        f_t = self.text(pooled_text(batch))
        f_a = self.audio(batch["audio"].float(), _lengths(batch, "audio"))
        f_v = self.vision(batch["vision"].float(), _lengths(batch, "vision"))
        f_m1 = self._pair(self.stage_audio, f_t, f_a)
        f_m2 = self._pair(self.stage_vision, f_t, f_v)
        return {"prediction": self.head(self._pair(self.final, f_m1, f_m2)).squeeze(-1)}


@register("msa", "selfmm")
def build_selfmm(input_dims: Mapping[str, int], **options: Any) -> SelfMM:
    """Self-MM's network (MMSA's MOSEI sizes by default)."""
    return SelfMM(input_dims, **options)


@register("msa", "text_guided")
def build_text_guided(input_dims: Mapping[str, int], **options: Any) -> TextGuidedFusion:
    """The text-guided two-stage transformer fusion."""
    return TextGuidedFusion(input_dims, **options)
