# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import ReviewKDLoss
from medproto.distill.losses.review_kd_loss import hierarchical_context_loss


def _pool(x: np.ndarray, size: int) -> np.ndarray:
    n, c, h, w = x.shape
    k = h // size
    out = np.zeros((n, c, size, size))
    for i in range(size):
        for j in range(size):
            out[:, :, i, j] = x[:, :, i * k:(i + 1) * k,
                                j * k:(j + 1) * k].mean(axis=(2, 3))
    return out


def _hcl(s: np.ndarray, t: np.ndarray) -> float:
    terms = [(1.0, np.mean((s - t)**2))]
    for level in (4, 2, 1):
        if level < s.shape[2]:
            w = 0.5**len(terms)
            terms.append((w, np.mean((_pool(s, level) - _pool(t, level))**2)))
    return sum(w * v for w, v in terms) / sum(w for w, _ in terms)


def _np(p: torch.Tensor) -> np.ndarray:
    return p.detach().double().numpy()


def _conv(x: np.ndarray, conv: torch.nn.Conv2d) -> np.ndarray:
    w = _np(conv.weight)
    k = w.shape[-1]
    pad = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h, wd = x.shape[2:]
    out = np.zeros((x.shape[0], w.shape[0], h, wd))
    for di in range(k):
        for dj in range(k):
            out += np.einsum('oc,nchw->nohw', w[:, :, di, dj],
                             xp[:, :, di:di + h, dj:dj + wd])
    if conv.bias is not None:
        out += _np(conv.bias)[None, :, None, None]
    return out


def _bn(x: np.ndarray, bn: torch.nn.BatchNorm2d) -> np.ndarray:
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    return (x - mean) / np.sqrt(var + bn.eps) * _np(bn.weight)[
        None, :, None, None] + _np(bn.bias)[None, :, None, None]


def test_hcl_matches_formula():
    torch.manual_seed(0)
    s, t = torch.randn(2, 3, 8, 8).double(), torch.randn(2, 3, 8, 8).double()
    assert hierarchical_context_loss(s, t, (4, 2, 1)).item() == \
        pytest.approx(_hcl(s.numpy(), t.numpy()), rel=1e-10)


def test_review_fusion_matches_formula(assert_student_only_gradients):
    torch.manual_seed(0)
    loss_fn = ReviewKDLoss(
        in_channels=[3, 5], out_channels=[4, 6], mid_channel=5,
        warmup_epochs=None, loss_weight=2.0).double()
    shallow_S = torch.randn(2, 3, 4, 4, dtype=torch.float64,
                            requires_grad=True)
    deep_S = torch.randn(2, 5, 2, 2, dtype=torch.float64, requires_grad=True)
    feats_T = [torch.randn(2, 4, 4, 4, dtype=torch.float64,
                           requires_grad=True),
               torch.randn(2, 6, 2, 2, dtype=torch.float64,
                           requires_grad=True)]
    loss = loss_fn([shallow_S, deep_S], feats_T)

    deep_abf, shallow_abf = loss_fn.abfs[1], loss_fn.abfs[0]
    assert deep_abf.attention is None
    # Deepest level: no fusion.
    x_deep = _bn(_conv(_np(deep_S), deep_abf.reduce[0]), deep_abf.reduce[1])
    out_deep = _bn(_conv(x_deep, deep_abf.project[0]), deep_abf.project[1])
    # Shallow level: attention-weighted sum with the upsampled residual.
    x = _bn(_conv(_np(shallow_S), shallow_abf.reduce[0]),
            shallow_abf.reduce[1])
    residual = x_deep.repeat(2, axis=2).repeat(2, axis=3)
    att = 1 / (1 + np.exp(-_conv(np.concatenate([x, residual], axis=1),
                                 shallow_abf.attention[0])))
    x = x * att[:, :1] + residual * att[:, 1:]
    out_shallow = _bn(_conv(x, shallow_abf.project[0]),
                      shallow_abf.project[1])
    expected = 2.0 * (_hcl(out_shallow, _np(feats_T[0])) +
                      _hcl(out_deep, _np(feats_T[1])))
    assert loss.item() == pytest.approx(expected, rel=1e-8)
    assert_student_only_gradients(loss, [shallow_S, deep_S], feats_T)
    for abf in loss_fn.abfs:
        assert abf.reduce[0].weight.grad.abs().sum() > 0


def test_pooled_level_warmup_and_out_shapes():
    torch.manual_seed(1)
    loss_fn = ReviewKDLoss(
        in_channels=[4, 8], out_channels=[4, 8], shapes=[4, 1],
        out_shapes=[(8, 8), 1], warmup_epochs=10)
    feats_S = [torch.randn(2, 4, 4, 4), torch.randn(2, 8)]
    feats_T = [torch.randn(2, 4, 8, 8), torch.randn(2, 8)]
    warm = loss_fn(feats_S, feats_T).item()
    loss_fn.progress['epoch'] = 9
    assert loss_fn(feats_S, feats_T).item() == pytest.approx(warm * 10)


def test_errors():
    with pytest.raises(ValueError, match='one entry per level'):
        ReviewKDLoss(in_channels=[4, 8], out_channels=[4])
    with pytest.raises(ValueError, match='shapes'):
        ReviewKDLoss(in_channels=[4], out_channels=[4], shapes=[0])
    loss_fn = ReviewKDLoss(in_channels=[4], out_channels=[4], shapes=[4])
    with pytest.raises(ValueError, match='shapes\\[0\\] says'):
        loss_fn([torch.randn(2, 4, 2, 2)], [torch.randn(2, 4, 2, 2)])
    with pytest.raises(ValueError, match='built for 1 levels'):
        loss_fn([torch.randn(2, 4, 4, 4)] * 2, [torch.randn(2, 4, 4, 4)] * 2)
    with pytest.raises(ValueError, match='out_channels'):
        ReviewKDLoss(in_channels=[4], out_channels=[5])(
            [torch.randn(2, 4, 4, 4)], [torch.randn(2, 4, 4, 4)])
