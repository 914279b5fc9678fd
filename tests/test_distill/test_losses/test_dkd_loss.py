# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import DKDLoss


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    return float(sum(pi * np.log(pi / qi) for pi, qi in zip(p, q)))


def _dkd(zs, zt, labels, alpha, beta, tau):
    """Reference: probabilities first, then the binary / non-target parts."""
    total = 0.0
    for s_row, t_row, y in zip(zs, zt, labels):
        ps, pt = _softmax(s_row / tau), _softmax(t_row / tau)
        bs, bt = np.array([ps[y], 1 - ps[y]]), np.array([pt[y], 1 - pt[y]])
        others = [c for c in range(len(s_row)) if c != y]
        qs, qt = ps[others] / ps[others].sum(), pt[others] / pt[others].sum()
        total += alpha * _kl(bt, bs) + beta * _kl(qt, qs)
    return tau**2 * total / len(zs)


def test_matches_formula(assert_student_only_gradients):
    torch.manual_seed(0)
    s = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    t = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 4, 2, 2, 1, 3])
    dkd = DKDLoss(alpha=1.0, beta=8.0, tau=4.0, warmup_epochs=0)
    loss = dkd(s, t, y)
    expected = _dkd(s.detach().numpy(), t.detach().numpy(), y.numpy(), 1.0,
                    8.0, 4.0)
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    assert_student_only_gradients(loss, [s], [t])


@pytest.mark.parametrize('alpha,beta', [(1.0, 0.0), (0.0, 1.0)])
def test_each_term_sends_gradient_to_student(alpha, beta,
                                             assert_student_only_gradients):
    torch.manual_seed(1)
    s = torch.randn(4, 5, requires_grad=True)
    t = torch.randn(4, 5, requires_grad=True)
    loss = DKDLoss(alpha=alpha, beta=beta, warmup_epochs=None)(
        s, t, torch.tensor([0, 1, 2, 3]))
    assert loss.item() > 0
    assert_student_only_gradients(loss, [s], [t])


def test_warmup_epochs_and_iters():
    torch.manual_seed(2)
    s, t, y = torch.randn(3, 4), torch.randn(3, 4), torch.tensor([0, 1, 3])
    full = DKDLoss(warmup_epochs=None)(s, t, y).item()
    dkd = DKDLoss(warmup_epochs=20)
    assert dkd(s, t, y).item() == pytest.approx(full / 20)  # first epoch
    dkd.progress = dict(iter=0, epoch=9, max_iters=100, max_epochs=100)
    assert dkd(s, t, y).item() == pytest.approx(full * 10 / 20)
    dkd.progress['epoch'] = 50
    assert dkd(s, t, y).item() == pytest.approx(full)
    by_iter = DKDLoss(warmup_iters=4)
    by_iter.progress = dict(iter=1, epoch=30)
    assert by_iter(s, t, y).item() == pytest.approx(full / 2)
    by_iter.progress = dict(epoch=30)
    with pytest.raises(KeyError, match="no 'iter'"):
        by_iter(s, t, y)


def test_extreme_logits_stay_finite():
    s = torch.tensor([[80.0, -80.0, 0.0]], requires_grad=True)
    t = torch.tensor([[-80.0, 80.0, 0.0]])
    loss = DKDLoss(tau=1.0, warmup_epochs=None)(s, t, torch.tensor([0]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(s.grad).all()


def test_errors():
    with pytest.raises(ValueError, match='C >= 2'):
        DKDLoss()(torch.randn(2, 1), torch.randn(2, 1), torch.tensor([0, 0]))
    with pytest.raises(ValueError, match='class indices'):
        DKDLoss()(torch.randn(2, 3), torch.randn(2, 3), torch.eye(3)[:2])
    with pytest.raises(ValueError, match='warmup_epochs'):
        DKDLoss(warmup_epochs=-1)
    with pytest.raises(ValueError, match='beta'):
        DKDLoss(beta=-1)
