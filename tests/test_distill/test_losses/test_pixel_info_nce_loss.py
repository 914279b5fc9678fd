# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import PixelInfoNCELoss


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
