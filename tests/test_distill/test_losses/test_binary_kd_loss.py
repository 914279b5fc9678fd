# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import BinaryKDLoss


def test_single_channel_matches_binary_kl(assert_student_only_gradients):
    torch.manual_seed(0)
    s = torch.randn(2, 1, 3, 4, dtype=torch.float64, requires_grad=True)
    t = torch.randn(2, 1, 3, 4, dtype=torch.float64, requires_grad=True)
    tau = 2.0
    loss = BinaryKDLoss(tau=tau, loss_weight=0.5)(s, t)
    ps = 1 / (1 + np.exp(-s.detach().numpy() / tau))
    pt = 1 / (1 + np.exp(-t.detach().numpy() / tau))
    kl = pt * np.log(pt / ps) + (1 - pt) * np.log((1 - pt) / (1 - ps))
    assert loss.item() == pytest.approx(0.5 * tau**2 * kl.mean(), rel=1e-10)
    assert_student_only_gradients(loss, [s], [t])


def test_multi_channel_uses_softmax():
    torch.manual_seed(1)
    s = torch.randn(1, 3, 2, 2, dtype=torch.float64)
    t = torch.randn(1, 3, 2, 2, dtype=torch.float64)
    total = 0.0
    for i in range(2):
        for j in range(2):
            ps = np.exp(s[0, :, i, j].numpy())
            ps /= ps.sum()
            pt = np.exp(t[0, :, i, j].numpy())
            pt /= pt.sum()
            total += np.sum(pt * np.log(pt / ps))
    assert BinaryKDLoss()(s, t).item() == pytest.approx(total / 4, rel=1e-10)


def test_not_degenerate_like_single_channel_softmax():
    s, t = torch.full((1, 1, 2, 2), -3.0), torch.full((1, 1, 2, 2), 3.0)
    assert BinaryKDLoss()(s, t).item() > 1.0
    assert BinaryKDLoss()(t, t.clone()).item() == pytest.approx(0, abs=1e-7)
    with pytest.raises(ValueError, match='connector'):
        BinaryKDLoss()(s, torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match='tau'):
        BinaryKDLoss(tau=-1.0)


def _reference_binary_kd(s, t, tau):
    """The previous formulation: [z, 0] logits, log-softmaxes, KL."""
    from medproto.distill.losses.binary_kd_loss import \
        sigmoid_to_two_class_logits
    from medproto.distill.losses.utils import kl_div_with_temperature
    return kl_div_with_temperature(sigmoid_to_two_class_logits(s),
                                   sigmoid_to_two_class_logits(t.detach()),
                                   tau).mean()


@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-12),
                                       (torch.float32, 1e-5)])
@pytest.mark.parametrize('tau', [1.0, 2.0])
def test_single_channel_equals_two_class_formulation(dtype, tol, tau):
    gen = torch.Generator().manual_seed(2)
    s = torch.randn(2, 1, 16, 16, generator=gen, dtype=dtype) * 4
    t = torch.randn(2, 1, 16, 16, generator=gen, dtype=dtype) * 4
    s[0, 0, 0, :4] = torch.tensor([60., -60., 60., -60.])  # saturated
    t[0, 0, 0, :4] = torch.tensor([-60., 60., 60., -60.])
    t[1, 0, 3] = s[1, 0, 3]  # equal logits: KL 0
    s_new, s_ref = s.clone().requires_grad_(), s.clone().requires_grad_()
    new = BinaryKDLoss(tau=tau, loss_weight=0.7)(s_new, t)
    ref = 0.7 * _reference_binary_kd(s_ref, t, tau)
    torch.testing.assert_close(new, ref, rtol=tol, atol=tol)
    new.backward()
    ref.backward()
    torch.testing.assert_close(s_new.grad, s_ref.grad, rtol=tol, atol=tol)
    assert s_new.grad[1, 0, 3].abs().max() < tol  # no pull where equal


def test_binary_kl_mean_gradcheck():
    from medproto.distill.losses.binary_kd_loss import binary_kl_mean
    s = torch.randn(1, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    t = torch.randn(1, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: binary_kl_mean(x, t, 1.5),
                                    (s, ))
    binary_kl_mean(s, t, 1.5).backward()
    assert t.grad is None
