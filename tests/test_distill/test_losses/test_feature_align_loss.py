# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import FeatureAlignLoss


def _stage_mse(s: np.ndarray, t: np.ndarray, normalize: bool) -> float:
    if normalize:  # unit channel vector at every (n, h, w)
        s = s / np.sqrt((s**2).sum(axis=1, keepdims=True))
        t = t / np.sqrt((t**2).sum(axis=1, keepdims=True))
    return float(np.mean((s - t)**2))


@pytest.mark.parametrize('normalize', [False, True])
def test_weighted_mean_over_stages(normalize, assert_student_only_gradients):
    torch.manual_seed(0)
    shapes = [(2, 4, 8, 8), (2, 6, 4, 4), (2, 8, 2, 2)]
    feats_S = [torch.randn(s, dtype=torch.float64, requires_grad=True)
               for s in shapes]
    feats_T = [torch.randn(s, dtype=torch.float64, requires_grad=True)
               for s in shapes]
    weights = [1.0, 0.5, 2.0]
    loss = FeatureAlignLoss(
        loss_weight=3.0, normalize=normalize, stage_weights=weights)(
            feats_S, feats_T)
    per_stage = [
        _stage_mse(s.detach().numpy(), t.detach().numpy(), normalize)
        for s, t in zip(feats_S, feats_T)
    ]
    expected = 3.0 * sum(w * m for w, m in zip(weights, per_stage)) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    assert_student_only_gradients(loss, feats_S, feats_T)


def test_single_tensor_and_errors():
    s, t = torch.randn(1, 2, 3, 3), torch.randn(1, 2, 3, 3)
    assert FeatureAlignLoss()(s, t).item() == pytest.approx(
        _stage_mse(s.numpy(), t.numpy(), False), rel=1e-6)
    with pytest.raises(ValueError, match='connector'):
        FeatureAlignLoss()([s], [torch.randn(1, 3, 3, 3)])
    with pytest.raises(ValueError, match='pair up'):
        FeatureAlignLoss()([s, s], [t])
    with pytest.raises(ValueError, match='stage_weights has 2'):
        FeatureAlignLoss(stage_weights=[1.0, 1.0])([s], [t])
    with pytest.raises(ValueError, match='stage_weights'):
        FeatureAlignLoss(stage_weights=[-1.0])


def _reference_normalized_mse(s: torch.Tensor,
                              t: torch.Tensor) -> torch.Tensor:
    """The formulation the loss used before ``normalized_mse``."""
    return torch.nn.functional.mse_loss(
        torch.nn.functional.normalize(s, dim=1),
        torch.nn.functional.normalize(t.detach(), dim=1))


@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-12),
                                       (torch.float32, 1e-5)])
def test_normalized_mse_equals_normalize_then_mse(dtype, tol):
    from medproto.distill.losses.feature_align_loss import normalized_mse
    gen = torch.Generator().manual_seed(3)
    s = torch.randn(3, 5, 6, 7, generator=gen, dtype=dtype)
    t = torch.randn(3, 5, 6, 7, generator=gen, dtype=dtype)
    s[0, :, 0, 0] = 0           # zero vector: F.normalize leaves it 0
    s[1, :, 2, 3] *= 1e-14      # below eps: divided by the constant eps
    t[2, :, 1, 1] = 0
    t[0, :, 4, 4] = s[0, :, 4, 4] * 3   # parallel: difference ~0
    s_ref = s.clone().requires_grad_()
    s_new = s.clone().requires_grad_()
    ref = _reference_normalized_mse(s_ref, t)
    new = normalized_mse(s_new, t)
    torch.testing.assert_close(new, ref, rtol=tol, atol=tol)
    grad = torch.randn((), generator=gen, dtype=dtype)
    ref.backward(grad)
    new.backward(grad)
    # the below-eps pixel has gradients ~1 / eps; compare relative to the
    # largest entry
    scale = s_ref.grad.abs().max()
    torch.testing.assert_close(s_new.grad / scale, s_ref.grad / scale,
                               rtol=0, atol=tol)
    assert s_new.grad[1, :, 2, 3].abs().max() > 1e8  # that pixel is there


def test_normalized_mse_gradcheck_and_teacher_constant():
    from medproto.distill.losses.feature_align_loss import normalized_mse
    gen = torch.Generator().manual_seed(4)
    s = torch.randn(2, 3, 4, 4, generator=gen, dtype=torch.float64,
                    requires_grad=True)
    t = torch.randn(2, 3, 4, 4, generator=gen, dtype=torch.float64,
                    requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: normalized_mse(x, t), (s, ))
    normalized_mse(s, t).backward()
    assert t.grad is None
    # a float16 teacher (as a cache stores it) is compared as float32
    s32 = s.detach().float()
    torch.testing.assert_close(
        normalized_mse(s32, t.detach().half()),
        _reference_normalized_mse(s32, t.detach().half().float()))
    with pytest.raises(ValueError, match='one shape'):
        normalized_mse(s, t[:, :2])


@pytest.mark.parametrize('normalize', [False, True])
def test_loss_and_connector_gradients_equal_previous_formulation(normalize):
    """The whole term through 1x1 conv + BN connectors (the fused form on
    the 64x64 stage), against the modules and F.normalize + F.mse_loss."""
    import copy

    from medproto.distill.connectors import Conv1x1Connector
    torch.manual_seed(5)
    chans = [(4, 6, 64), (6, 10, 8)]
    conns = [Conv1x1Connector(cs, ct).double() for cs, ct, _ in chans]
    for c in conns:
        torch.nn.init.uniform_(c.layers[1].weight, 0.5, 1.5)
        torch.nn.init.normal_(c.layers[1].bias)
    refs = copy.deepcopy(conns)
    xs = [torch.randn(2, cs, h, h, dtype=torch.float64) + 1.0
          for cs, _, h in chans]
    ts = [torch.randn(2, ct, h, h, dtype=torch.float64) for _, ct, h in chans]
    xs_new = [x.clone().requires_grad_() for x in xs]
    xs_ref = [x.clone().requires_grad_() for x in xs]
    loss = FeatureAlignLoss(loss_weight=10.0, normalize=normalize,
                            stage_weights=[1.0, 0.5])
    new = loss([c(x) for c, x in zip(conns, xs_new)], ts)
    ref_terms = []
    for w, c, x, t in zip([1.0, 0.5], refs, xs_ref, ts):
        y = c.layers(x)
        if normalize:
            ref_terms.append(w * _reference_normalized_mse(y, t))
        else:
            ref_terms.append(w * torch.nn.functional.mse_loss(y, t))
    ref = 10.0 * sum(ref_terms) / 2
    torch.testing.assert_close(new, ref, rtol=1e-10, atol=1e-12)
    new.backward()
    ref.backward()
    for a, b in zip(xs_new, xs_ref):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-8, atol=1e-12)
    for c, r in zip(conns, refs):
        for (name, p), q in zip(c.named_parameters(), r.parameters()):
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-8,
                                       atol=1e-12, msg=name)


def test_max_side_compares_block_means():
    torch.manual_seed(6)
    s = torch.randn(2, 3, 16, 8, dtype=torch.float64, requires_grad=True)
    t = torch.randn(2, 3, 16, 8, dtype=torch.float64)
    small_s = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    small_t = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    loss = FeatureAlignLoss(normalize=True, max_side=4)
    value = loss([s, small_s], [t, small_t])
    # 4x4 and 4x2 block means of the 16x8 pair; the 4x4 pair unchanged
    pooled_s = s.detach().numpy().reshape(2, 3, 4, 4, 4, 2).mean((3, 5))
    pooled_t = t.numpy().reshape(2, 3, 4, 4, 4, 2).mean((3, 5))
    expected = (_stage_mse(pooled_s, pooled_t, True) +
                _stage_mse(small_s.numpy(), small_t.numpy(), True)) / 2
    assert value.item() == pytest.approx(expected, rel=1e-10)
    value.backward()
    assert s.grad.abs().sum() > 0
    # a student already pooled by its connector meets the pooled teacher
    pooled = torch.nn.functional.adaptive_avg_pool2d(s.detach(), 4)
    torch.testing.assert_close(loss(pooled, t), loss(s.detach(), t))
    assert FeatureAlignLoss()(s.detach(), t).item() != pytest.approx(
        loss(s.detach(), t).item())
    with pytest.raises(ValueError, match='max_side'):
        FeatureAlignLoss(max_side=2.5)


def test_normalized_mse_channels_last_student():
    """A channels-last student map against a contiguous teacher map (the
    layouts MAUNet's skips and the cache give): same value and gradient,
    the gradient in the student's layout."""
    from medproto.distill.losses.feature_align_loss import normalized_mse
    gen = torch.Generator().manual_seed(7)
    s = torch.randn(2, 5, 6, 7, generator=gen, dtype=torch.float64)
    t = torch.randn(2, 5, 6, 7, generator=gen, dtype=torch.float64)
    s_cl = s.contiguous(memory_format=torch.channels_last).requires_grad_()
    s_ref = s.clone().requires_grad_()
    new, ref = normalized_mse(s_cl, t), _reference_normalized_mse(s_ref, t)
    torch.testing.assert_close(new, ref, rtol=1e-12, atol=1e-12)
    new.backward()
    ref.backward()
    assert s_cl.grad.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(s_cl.grad, s_ref.grad, rtol=1e-10,
                               atol=1e-12)


def test_pool_to_max_side_equals_adaptive_pooling():
    from medproto.distill.losses.utils import pool_to_max_side
    x = torch.randn(2, 3, 64, 48, dtype=torch.float64)
    for side in (16, 20, 48, 64, None):
        expected = x if side is None else \
            torch.nn.functional.adaptive_avg_pool2d(
                x, (min(64, side), min(48, side)))
        torch.testing.assert_close(pool_to_max_side(x, side), expected)
