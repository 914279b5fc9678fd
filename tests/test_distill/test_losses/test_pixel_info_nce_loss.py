# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from medproto.distill.losses import PixelInfoNCELoss
from medproto.distill.losses.pixel_info_nce_loss import logsumexp_of_products


def _reference(emb_s: np.ndarray, emb_t: np.ndarray, mask: np.ndarray,
               tau: float) -> float:
    """All pixels sampled; negatives: other-class pixels of the batch."""
    n, d, h, w = emb_s.shape
    pixels = [(b, i, j) for b in range(n) for i in range(h) for j in range(w)]
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    losses = []
    for b, i, j in pixels:
        s = unit(emb_s[b, :, i, j])
        pos = s @ unit(emb_t[b, :, i, j]) / tau
        negs = [s @ unit(emb_t[b2, :, i2, j2]) / tau
                for b2, i2, j2 in pixels
                if mask[b2, i2, j2] != mask[b, i, j]]
        if negs:
            logits = np.array([pos] + negs)
            losses.append(-pos + np.log(np.exp(logits).sum()))
    return float(np.mean(losses))


def test_matches_formula_with_resized_mask(assert_student_only_gradients):
    torch.manual_seed(0)
    s = torch.randn(2, 3, 2, 3, dtype=torch.float64, requires_grad=True)
    t = torch.randn(2, 3, 2, 3, dtype=torch.float64, requires_grad=True)
    small = torch.tensor([[[1, 0, 0], [1, 1, 0]], [[0, 0, 0], [0, 0, 0]]])
    # 2x nearest upsampling; the loss must resize it back.
    gt_mask = small.repeat_interleave(2, 1).repeat_interleave(2, 2)[:, None]
    loss = PixelInfoNCELoss(tau=0.5, num_samples=100, loss_weight=2.0)(
        s, t, gt_mask.float())
    expected = _reference(s.detach().numpy(), t.detach().numpy(),
                          small.numpy(), 0.5)
    assert loss.item() == pytest.approx(2.0 * expected, rel=1e-10)
    assert_student_only_gradients(loss, [s], [t])


def test_changes_with_inputs():
    torch.manual_seed(1)
    mask = (torch.rand(2, 1, 8, 8) > 0.5).float()
    loss_fn = PixelInfoNCELoss(num_samples=16, seed=0)
    a = loss_fn(torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8), mask)
    b = loss_fn(torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8), mask)
    assert abs(a.item() - b.item()) > 1e-4


def test_sampling_is_capped_and_seeded():
    mask = torch.zeros(2, 6, 6, dtype=torch.bool)
    mask[0, :3] = True  # 18 foreground pixels in image 0, none in image 1
    batch, pixel, label = PixelInfoNCELoss(num_samples=5,
                                           seed=3).sample_pixels(mask)
    counts = {(b, c): int(((batch == b) & (label == c)).sum())
              for b in (0, 1) for c in (0, 1)}
    assert counts == {(0, 0): 5, (0, 1): 5, (1, 0): 5, (1, 1): 0}
    assert mask[batch, pixel // 6, pixel % 6].eq(label.bool()).all()
    again = PixelInfoNCELoss(num_samples=5, seed=3).sample_pixels(mask)
    assert torch.equal(pixel, again[1])


def test_missing_foreground_is_graceful():
    s = torch.randn(2, 4, 4, 4, requires_grad=True)
    t = torch.randn(2, 4, 4, 4)
    loss = PixelInfoNCELoss()(s, t, torch.zeros(2, 1, 4, 4))
    loss.backward()
    assert loss.item() == 0.0 and torch.isfinite(s.grad).all()
    # One image without foreground still learns from the other's pixels.
    mask = torch.zeros(2, 1, 4, 4)
    mask[0, :, :2] = 1
    s.grad = None
    loss = PixelInfoNCELoss()(s, t, mask)
    loss.backward()
    assert torch.isfinite(loss) and loss.item() > 0
    assert s.grad[1].abs().sum() > 0


def test_errors():
    with pytest.raises(ValueError, match='gt_mask'):
        PixelInfoNCELoss()(torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4),
                           torch.zeros(2, 2, 4, 4))
    with pytest.raises(ValueError, match='connector'):
        PixelInfoNCELoss()(torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4),
                           torch.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match='num_samples'):
        PixelInfoNCELoss(num_samples=0)


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
@pytest.mark.parametrize('bound', [None, 3.0, 200.0])
def test_logsumexp_of_products_equals_autograd(dtype, bound):
    """The value and the gradient of torch.logsumexp(a @ k.T) under
    autograd; ``bound`` 200 needs the shift (exp(200) overflows float32)."""
    torch.manual_seed(0)
    scale = 1.0 if bound is None else bound
    a = (F.normalize(torch.randn(37, 8, dtype=dtype), dim=1) *
         scale).requires_grad_()
    k = F.normalize(torch.randn(23, 8, dtype=dtype), dim=1).requires_grad_()
    weights = torch.rand(37, dtype=dtype)
    got = logsumexp_of_products(a, k, bound=bound)
    (got * weights).sum().backward()
    grad, a.grad = a.grad.clone(), None
    ref = torch.logsumexp(a @ k.detach().t(), dim=1)
    (ref * weights).sum().backward()
    assert torch.isfinite(got).all() and got.dtype == dtype
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == torch.float32 else {}
    torch.testing.assert_close(got.detach(), ref.detach(), **tol)
    torch.testing.assert_close(grad, a.grad, **tol)
    assert k.grad is None  # k is a constant


def test_logsumexp_of_products_gradcheck_and_errors():
    a = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    k = torch.randn(7, 3, dtype=torch.float64)
    for bound in (None, float(a.detach().norm(dim=1).max() *
                              k.norm(dim=1).max())):
        assert torch.autograd.gradcheck(
            lambda x: logsumexp_of_products(x, k, bound=bound), (a, ))
    with pytest.raises(ValueError, match=r"M' >= 1"):
        logsumexp_of_products(a, k[:0])
    with pytest.raises(ValueError, match='logsumexp_of_products'):
        logsumexp_of_products(a, k[:, :2])


@pytest.mark.parametrize('tau', [0.1, 0.02])
def test_loss_and_gradient_equal_the_masked_matrix_form(tau):
    """Against the (M, M) form under autograd: every sampled pixel against
    all sampled pixels, the same class masked out of the negatives."""
    torch.manual_seed(2)
    s = torch.randn(3, 6, 16, 16, requires_grad=True)
    t = torch.randn(3, 6, 16, 16)
    mask = (torch.rand(3, 1, 32, 32) > 0.6).float()
    loss_fn = PixelInfoNCELoss(tau=tau, num_samples=40, loss_weight=0.5,
                               seed=7)
    state = loss_fn.generator.get_state()
    loss = loss_fn(s, t, mask)
    loss.backward()
    grad, s.grad = s.grad.clone(), None

    loss_fn.generator.set_state(state)
    fg = F.interpolate(mask, size=(16, 16), mode='nearest')[:, 0] > 0.5
    b, p, label = loss_fn.sample_pixels(fg)
    anchors = F.normalize(s.flatten(2)[b, :, p], dim=1)
    keys = F.normalize(t.flatten(2)[b, :, p], dim=1)
    logits = anchors @ keys.t() / tau
    pos = logits.diagonal()
    same = label[:, None] == label[None, :]
    neg = logits.masked_fill(same, float('-inf'))
    ref = 0.5 * (torch.logsumexp(torch.cat([pos[:, None], neg], 1), 1) -
                 pos).mean()
    ref.backward()
    torch.testing.assert_close(loss.detach(), ref.detach(), rtol=1e-5,
                               atol=1e-6)
    torch.testing.assert_close(grad, s.grad, rtol=1e-4, atol=1e-7)
