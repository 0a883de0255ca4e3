"""Sequence-to-sequence modality translation (Seq2Seq2Sentiment, MCTN) with a regression head.

An encoder reads the **source** modality sequence (one or several modalities
concatenated per step), an attention decoder writes the **target** modality
sequence from it, and sentiment is regressed from the *encoder's* states only.
The decoder is a training signal: at evaluation the target modality is not
needed (it may be missing altogether), because the prediction never reads it.

* :class:`Translator` -- bidirectional LSTM encoder (both directions summed, as
  MCTN's ``merge_mode='sum'``) and an LSTM-cell decoder with dot-product
  attention over the encoder states; decoding is free-running, or
  teacher-forced with a probability per step (``teacher_forcing``);
* :class:`TranslationRegressor` -- the whole model: ``A -> B``,
  ``concat(A, B) -> C``, ``A -> concat(B, C)``, ``concat -> concat``, and the
  hierarchical ``embed(A, B) -> C`` (a second translator reads the first
  encoder's states and writes C; sentiment is read from the second encoder);
  optional cycle (MCTN: the translation is translated back to the source by
  the *same* translator); a regression head (LSTM, attention over time,
  linear);
* :func:`masked_mse` and :func:`translation_objective` -- the losses: MSE on
  real steps for the translations (features are continuous, so MSE rather
  than the seed's "cross-entropy"), MAE on the score.

Widths. The cycle sends the translation back through the same translator, so
with ``cycle=True`` source and target are zero-padded to the wider of the two
(as MCTN does); the translation loss then also sees the padded columns, and
:attr:`TranslationRegressor.target_dim` says which columns are real.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from course_lib.models.registry import register
from course_lib.models.sequence import AttentionPooling, LSTMEncoder, length_mask

__all__ = [
    "AttentionDecoder",
    "TranslationRegressor",
    "Translator",
    "build_seq2seq",
    "masked_mse",
    "translation_objective",
]


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the real steps (every feature of a real step counts once).

    Shape:
        prediction, target ``(B, T, D)``, mask ``(B, T)`` -> scalar.
    """
    weights = mask.to(prediction.dtype).unsqueeze(-1)
    squared = (prediction - target) ** 2 * weights
    return squared.sum() / (weights.sum() * prediction.shape[-1]).clamp(min=1.0)


def _pad_to(x: torch.Tensor, width: int) -> torch.Tensor:
    return x if x.shape[-1] == width else nn.functional.pad(x, (0, width - x.shape[-1]))


class AttentionDecoder(nn.Module):
    """LSTM-cell decoder with dot-product attention over the encoder states.

    Step ``t``: ``h_t = LSTMCell([y_{t-1}; c_{t-1}], h_{t-1})``, attention
    ``a_t = softmax_s(h_t W e_s)`` over the real source steps, context
    ``c_t = sum_s a_ts e_s``, output ``y_t = W_o [h_t; c_t]``. ``y_0`` is a
    zero frame. ``y_{t-1}`` is the decoder's own previous output
    (free-running) or, with probability ``teacher_forcing`` per step, the true
    previous target frame (needs ``target``).

    Args:
        hidden: Width of the encoder states and of the decoder cell.
        output_dim: Features per target step.

    Shape:
        memory ``(B, S, hidden)``, memory_mask ``(B, S)``, state ``((B, hidden), (B, hidden))``,
        target ``(B, T, output_dim)`` -> outputs ``(B, T, output_dim)``, attention ``(B, T, S)``.
    """

    def __init__(self, hidden: int, output_dim: int) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(output_dim + hidden, hidden)
        self.score = nn.Linear(hidden, hidden, bias=False)
        self.out = nn.Linear(2 * hidden, output_dim)
        self.output_dim = output_dim

    def forward(
        self,
        memory: torch.Tensor,
        memory_mask: torch.Tensor,
        state: tuple[torch.Tensor, torch.Tensor],
        steps: int,
        target: torch.Tensor | None = None,
        teacher_forcing: float = 0.0,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if teacher_forcing > 0 and target is None:
            raise ValueError("teacher forcing needs the target sequence")
        batch = memory.shape[0]
        previous = memory.new_zeros(batch, self.output_dim)
        context = memory.new_zeros(batch, memory.shape[-1])
        hidden, cell = state
        keys = self.score(memory)
        outputs, weights = [], []
        for t in range(steps):
            hidden, cell = self.cell(torch.cat([previous, context], dim=-1), (hidden, cell))
            scores = torch.einsum("bh,bsh->bs", hidden, keys).masked_fill(~memory_mask, float("-inf"))
            attention = torch.softmax(scores, dim=-1)
            context = torch.einsum("bs,bsh->bh", attention, memory)
            frame = self.out(torch.cat([hidden, context], dim=-1))
            outputs.append(frame)
            weights.append(attention)
            forced = teacher_forcing > 0 and bool(torch.rand(()) < teacher_forcing)
            previous = target[:, t] if forced else frame
        return torch.stack(outputs, dim=1), torch.stack(weights, dim=1)


class Translator(nn.Module):
    """Encoder and attention decoder: one modality sequence in, another out.

    Args:
        input_dim: Features per source step.
        output_dim: Features per target step.
        hidden: Units of the encoder (per direction; the two are summed) and of the decoder.

    Shape:
        x ``(B, T, input_dim)``, lengths ``(B,)`` -> :meth:`encode`: states ``(B, T, hidden)``
        (0 on padding); :meth:`forward`: translation ``(B, steps, output_dim)`` (0 on padding
        steps), attention ``(B, steps, T)``.
    """

    def __init__(self, input_dim: int, output_dim: int, hidden: int = 32) -> None:
        super().__init__()
        self.encoder = LSTMEncoder(input_dim, hidden, bidirectional=True)
        self.decoder = AttentionDecoder(hidden, output_dim)
        self.hidden = hidden

    def encode(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Encoder states (forward and backward summed) and the initial decoder state."""
        outputs, (h_n, c_n) = self.encoder.encode(x, lengths)
        states = outputs[..., : self.hidden] + outputs[..., self.hidden :]
        return states, (h_n[-2] + h_n[-1], c_n[-2] + c_n[-1])

    def forward(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor,
        target: torch.Tensor | None = None,
        teacher_forcing: float = 0.0,
        steps: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(translation, attention, encoder states)``; decodes ``steps`` frames (default: the source's)."""
        states, init = self.encode(x, lengths)
        mask = length_mask(torch.as_tensor(lengths, device=x.device), x.shape[1])
        steps = steps if steps is not None else (target.shape[1] if target is not None else x.shape[1])
        translation, attention = self.decoder(states, mask, init, steps, target, teacher_forcing)
        out_mask = length_mask(torch.as_tensor(lengths, device=x.device), steps)
        return translation * out_mask.unsqueeze(-1), attention, states


class TranslationRegressor(nn.Module):
    """Modality translation with sentiment regressed from the encoder (see the module docstring).

    Args:
        input_dims: Features per step of every modality.
        source: Modalities concatenated into the encoder (``("text",)`` for T -> ...).
        target: Modalities concatenated as the decoder's target.
        via: Hierarchical ``embed(source, via) -> target``: the first translator
            goes ``source -> via``, a second reads its encoder states and
            writes ``target``; sentiment is read from the second encoder.
        hidden: Encoder and decoder units (MCTN: 32).
        head_hidden: Units of the regression LSTM.
        teacher_forcing: Probability of feeding the true previous frame while training.
        cycle: Translate the translation back to the source (MCTN's cycle; ``via`` must be None).
        dropout: Dropout on the encoder states before the regression head.

    Outputs of :meth:`forward` (a dict): ``prediction`` ``(B,)`` always; when the batch
    holds the target modalities and :attr:`decode` is True: ``translation`` and
    ``translation_target`` ``(B, T, D)``, ``mask`` ``(B, T)``, ``attention`` ``(B, T, T)``;
    hierarchical: also ``translation_1`` and ``translation_1_target``; with the cycle (training
    only): ``cycle`` and ``cycle_target``.
    """

    def __init__(
        self,
        input_dims: Mapping[str, int],
        source: Sequence[str] = ("text",),
        target: Sequence[str] = ("audio",),
        via: Sequence[str] | None = None,
        hidden: int = 32,
        head_hidden: int = 32,
        teacher_forcing: float = 0.5,
        cycle: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0.0 <= teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing must lie in [0, 1], got {teacher_forcing}")
        if cycle and via:
            raise ValueError("the cycle applies to one translator; the hierarchical model has two")
        self.source, self.target = tuple(source), tuple(target)
        self.via = tuple(via) if via else ()
        if not self.source or not self.target:
            raise ValueError("source and target need at least one modality each")
        for name in (*self.source, *self.target, *self.via):
            if name not in input_dims:
                raise KeyError(f"no feature size for modality {name!r}; sizes: {dict(input_dims)}")
        self.source_dim = sum(input_dims[m] for m in self.source)
        self.target_dim = sum(input_dims[m] for m in self.target)
        self.cycle = cycle
        self.width = max(self.source_dim, self.target_dim) if cycle else None
        self.teacher_forcing = teacher_forcing
        self.decode = True
        if self.via:
            via_dim = sum(input_dims[m] for m in self.via)
            self.first = Translator(self.source_dim, via_dim, hidden)
            self.translator = Translator(hidden, self.target_dim, hidden)
        else:
            self.first = None
            width_in = self.width or self.source_dim
            self.translator = Translator(width_in, self.width or self.target_dim, hidden)
        self.dropout = nn.Dropout(dropout)
        self.head_rnn = LSTMEncoder(hidden, head_hidden)
        self.pool = AttentionPooling(head_hidden)
        self.out = nn.Linear(head_hidden, 1)

    @staticmethod
    def _joined(batch: Mapping[str, Any], names: Sequence[str]) -> torch.Tensor:
        return torch.cat([batch[m].float() for m in names], dim=-1)

    def _lengths(self, batch: Mapping[str, Any]) -> torch.Tensor:
        first = self.source[0]
        if f"{first}_lengths" in batch:
            return batch[f"{first}_lengths"]
        x = batch[first]
        return torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)

    def has_target(self, batch: Mapping[str, Any]) -> bool:
        """Whether the batch holds every target (and intermediate) modality."""
        return all(m in batch for m in (*self.target, *self.via))

    def regress(self, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Sentiment from encoder states: LSTM, attention over the real steps, linear.

        Shape:
            states ``(B, T, hidden)``, lengths ``(B,)`` -> ``(B,)``.
        """
        outputs, _ = self.head_rnn.encode(self.dropout(states), lengths)
        mask = length_mask(torch.as_tensor(lengths, device=states.device), states.shape[1])
        return self.out(self.pool(outputs, mask)).squeeze(-1)

    def forward(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        lengths = self._lengths(batch)
        source = self._joined(batch, self.source)
        if self.width:
            source = _pad_to(source, self.width)
        decode = self.decode and self.has_target(batch)
        ratio = self.teacher_forcing if self.training else 0.0
        mask = length_mask(torch.as_tensor(lengths, device=source.device), source.shape[1])
        outputs: dict[str, torch.Tensor] = {}
        if self.first is not None:
            via = self._joined(batch, self.via) if decode else None
            if decode:
                first, _, states = self.first(source, lengths, via, ratio)
                outputs.update(translation_1=first, translation_1_target=via)
            else:
                states, _ = self.first.encode(source, lengths)
            encoder_input = states
        else:
            encoder_input = source
        if decode:
            target = self._joined(batch, self.target)
            if self.width:
                target = _pad_to(target, self.width)
            translation, attention, states = self.translator(encoder_input, lengths, target, ratio)
            outputs.update(translation=translation, translation_target=target, mask=mask, attention=attention)
            if self.cycle and self.training:
                back, _, _ = self.translator(translation, lengths, source, ratio)
                outputs.update(cycle=back, cycle_target=source)
        else:
            states, _ = self.translator.encode(encoder_input, lengths)
        outputs["prediction"] = self.regress(states, lengths)
        return outputs

    def translator_parameters(self) -> list[nn.Parameter]:
        """Encoders and decoders (phase 1 of the two-phase training)."""
        modules = [m for m in (self.first, self.translator) if m is not None]
        return [p for m in modules for p in m.parameters()]

    def head_parameters(self) -> list[nn.Parameter]:
        """The regression head (phase 2)."""
        return [p for m in (self.head_rnn, self.pool, self.out) for p in m.parameters()]


def translation_objective(
    translation_weight: float = 0.1, cycle_weight: float = 0.1, regression_weight: float = 1.0
):
    """``objective(outputs, batch) -> (loss, logs)`` for the :class:`~course_lib.training.Trainer`.

    ``loss = translation_weight * (MSE(translation) + MSE(translation_1)) + cycle_weight * MSE(cycle)
    + regression_weight * MAE(prediction, label)``; each MSE is over real steps
    (:func:`masked_mse`) and only when the outputs hold it. MCTN's joint loss
    is the default (0.1, 0.1, 1); ``regression_weight=0`` is phase 1 of the
    two-phase training.
    """

    def objective(outputs: Mapping[str, torch.Tensor], batch: Mapping[str, Any]):
        logs: dict[str, float] = {}
        total = outputs["prediction"].new_zeros(())
        mask = outputs.get("mask")
        for name, weight in (
            ("translation", translation_weight),
            ("translation_1", translation_weight),
            ("cycle", cycle_weight),
        ):
            if name in outputs and weight:
                term = masked_mse(outputs[name], outputs[f"{name}_target"], mask)
                total = total + weight * term
                logs[f"mse_{name}"] = float(term.detach())
        if regression_weight:
            mae = (outputs["prediction"] - batch["label"].float().reshape(-1)).abs().mean()
            total = total + regression_weight * mae
            logs["mae"] = float(mae.detach())
        return total, logs

    return objective


@register("msa", "seq2seq")
def build_seq2seq(
    input_dims: Mapping[str, int],
    source: Sequence[str] = ("text",),
    target: Sequence[str] = ("audio",),
    via: Sequence[str] | None = None,
    hidden: int = 32,
    head_hidden: int = 32,
    teacher_forcing: float = 0.5,
    cycle: bool = False,
    dropout: float = 0.0,
) -> TranslationRegressor:
    """Modality translation with a regression head on the encoder (Seq2Seq2Sentiment, MCTN)."""
    return TranslationRegressor(
        input_dims, source, target, via, hidden, head_hidden, teacher_forcing, cycle, dropout
    )
