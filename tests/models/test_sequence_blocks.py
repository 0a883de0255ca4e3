"""Shared sequence blocks: shapes, padding invariance, causal masking, masked read-outs."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib.models import sequence as sq

LENGTHS = [5, 2, 4]
DIM = 8


def _sequences(lengths: list[int], dim: int, seed: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(n, dim, generator=generator) for n in lengths]


def _padded(sequences: list[torch.Tensor], fill: float = 7.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded batch whose padding holds ``fill`` (not zeros), and its mask."""
    longest = max(len(s) for s in sequences)
    batch = torch.full((len(sequences), longest, sequences[0].shape[1]), fill)
    mask = torch.zeros(len(sequences), longest, dtype=torch.bool)
    for i, s in enumerate(sequences):
        batch[i, : len(s)], mask[i, : len(s)] = s, True
    return batch, mask


def _lengths(mask: torch.Tensor) -> torch.Tensor:
    return mask.sum(1)


def test_sinusoidal_positions_values_and_prefix():
    table = sq.sinusoidal_positions(6, 5)
    assert table.shape == (6, 5)
    torch.testing.assert_close(table[0], torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0]))
    assert table[3, 0] == pytest.approx(math.sin(3.0))
    assert table[3, 3] == pytest.approx(math.cos(3.0 / 10000 ** (2 / 5)))
    torch.testing.assert_close(sq.sinusoidal_positions(4, 5), table[:4])


def test_causal_mask_hides_later_keys():
    assert sq.causal_mask(3, 3).tolist() == [[False, True, True], [False, False, True], [False, False, False]]
    assert sq.causal_mask(2, 4).shape == (2, 4)


def test_temporal_projection_padding_invariance():
    torch.manual_seed(0)
    block = sq.TemporalProjection(6, DIM, kernel_size=3).eval()
    sequences = _sequences(LENGTHS, 6, seed=1)
    x, mask = _padded(sequences)
    out = block(x, mask)
    assert out.shape == (3, 5, DIM)
    for i, s in enumerate(sequences):
        torch.testing.assert_close(out[i, : len(s)], block(s.unsqueeze(0))[0])
    assert not out[~mask].any()
    with pytest.raises(ValueError, match="odd"):
        sq.TemporalProjection(6, DIM, kernel_size=2)


@pytest.mark.parametrize("causal", [False, True])
def test_crossmodal_block_padding_invariance(causal):
    torch.manual_seed(0)
    block = sq.CrossmodalBlock(DIM, num_heads=2, causal=causal).eval()
    queries, sources = _sequences(LENGTHS, DIM, seed=2), _sequences([3, 6, 4], DIM, seed=3)
    a, _ = _padded(queries)
    b, b_mask = _padded(sources)
    out = block(a, b, b_mask)
    assert out.shape == (3, 5, DIM) and block.attention.shape == (3, 5, 6)
    batch_attention = block.attention
    assert not batch_attention[~b_mask.unsqueeze(1).expand_as(batch_attention)].any()
    for i, (q, s) in enumerate(zip(queries, sources)):
        alone = block(q.unsqueeze(0), s.unsqueeze(0))
        torch.testing.assert_close(out[i, : len(q)], alone[0])
        torch.testing.assert_close(batch_attention[i, : len(q), : len(s)], block.attention[0])


def test_causal_block_step_t_ignores_later_steps():
    torch.manual_seed(0)
    block = sq.CrossmodalBlock(DIM, num_heads=2, causal=True).eval()
    a, b = torch.randn(1, 6, DIM), torch.randn(1, 6, DIM)
    out = block(a, b)
    t = 2
    later_a, later_b = a.clone(), b.clone()
    later_a[:, t + 1 :] = torch.randn(1, 3, DIM)  # new content (a constant shift would vanish in LayerNorm)
    later_b[:, t + 1 :] = torch.randn(1, 3, DIM)
    changed = block(later_a, later_b)
    torch.testing.assert_close(changed[:, : t + 1], out[:, : t + 1])
    assert not torch.allclose(changed[:, t + 1 :], out[:, t + 1 :])
    assert not block.attention[0].triu(1).any()
    full = sq.CrossmodalBlock(DIM, num_heads=2).eval()
    full.load_state_dict(block.state_dict())
    assert not torch.allclose(full(later_a, later_b)[:, :t], full(a, b)[:, :t])  # without it, it does not


def test_crossmodal_block_as_self_attention_trains():
    torch.manual_seed(0)
    block = sq.CrossmodalBlock(DIM, num_heads=4, dropout=0.1)
    x, mask = _padded(_sequences(LENGTHS, DIM, seed=4))
    block(x, x, mask)[mask].sum().backward()
    assert all(p.grad is not None for p in block.parameters())


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("readout", sq.READOUTS)
def test_lstm_encoder_padding_invariance(readout, bidirectional):
    torch.manual_seed(0)
    encoder = sq.LSTMEncoder(6, 5, num_layers=2, bidirectional=bidirectional, readout=readout).eval()
    sequences = _sequences(LENGTHS, 6, seed=5)
    x, mask = _padded(sequences)
    out = encoder(x, _lengths(mask))
    assert out.shape == (3, encoder.output_dim) and encoder.output_dim == 5 * (1 + bidirectional)
    for i, s in enumerate(sequences):
        torch.testing.assert_close(out[i], encoder(s.unsqueeze(0), torch.tensor([len(s)]))[0])


def test_lstm_last_is_the_last_real_step_and_pools_ignore_padding():
    torch.manual_seed(0)
    x, mask = _padded(_sequences(LENGTHS, 6, seed=6))
    lengths = _lengths(mask)
    encoder = sq.LSTMEncoder(6, 5).eval()
    outputs, (h_n, c_n) = encoder.encode(x, lengths)
    assert outputs.shape == (3, 5, 5) and h_n.shape == c_n.shape == (1, 3, 5)
    assert not outputs[~mask].any()
    last = outputs[torch.arange(3), lengths - 1]
    torch.testing.assert_close(encoder(x, lengths), last)
    assert not torch.allclose(last, outputs[:, -1])  # h[-1] of the padded batch is not the read-out
    for readout, pool in (("mean", lambda o: o.mean(0)), ("max", lambda o: o.max(0).values)):
        encoder.readout = readout
        expected = torch.stack([pool(outputs[i, :n]) for i, n in enumerate(LENGTHS)])
        torch.testing.assert_close(encoder(x, lengths), expected)


def test_lstm_encoder_refuses_bad_arguments():
    with pytest.raises(ValueError, match="readout"):
        sq.LSTMEncoder(6, 5, readout="first")
    encoder = sq.LSTMEncoder(6, 5)
    with pytest.raises(ValueError, match="1..4"):
        encoder(torch.zeros(2, 4, 6), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="2 lengths for a batch of 3"):
        encoder(torch.zeros(3, 4, 6), torch.tensor([1, 3]))


def test_attention_pooling_is_a_masked_weighted_mean():
    torch.manual_seed(0)
    pool = sq.AttentionPooling(DIM, hidden=4).eval()
    sequences = _sequences(LENGTHS, DIM, seed=7)
    x, mask = _padded(sequences)
    out = pool(x, mask)
    weights = pool.weights
    assert out.shape == (3, DIM) and weights.shape == (3, 5)
    torch.testing.assert_close(weights.sum(1), torch.ones(3))
    assert not weights[~mask].any()
    torch.testing.assert_close(out, torch.einsum("bt,btd->bd", weights, x * mask.unsqueeze(-1)))
    for i, s in enumerate(sequences):
        torch.testing.assert_close(out[i], pool(s.unsqueeze(0))[0])


@pytest.mark.parametrize("residual", [True, False])
def test_regression_head_gives_one_score_per_item(residual):
    torch.manual_seed(0)
    head = sq.RegressionHead(DIM, hidden=16, dropout=0.1, residual=residual).eval()
    x = torch.randn(4, DIM)
    out = head(x)
    assert out.shape == (4,)
    h = head.mlp(x)
    torch.testing.assert_close(out, head.out(x + h if residual else h).squeeze(-1))
