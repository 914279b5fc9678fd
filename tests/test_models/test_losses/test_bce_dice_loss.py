# Copyright (c) medproto contributors. All rights reserved.
import medproto  # noqa: F401
import pytest
import torch
from mmseg.registry import MODELS
from torch import nn


def malunet_bce_dice(prob, target, smooth=1.):
    """MALUNet's utils.BceDiceLoss, written out independently: nn.BCELoss on
    probabilities plus 1 - mean per-sample soft Dice."""
    bce = nn.BCELoss()(prob.reshape(-1), target.reshape(-1))
    n = prob.shape[0]
    p, t = prob.reshape(n, -1), target.reshape(n, -1)
    dice = (2 * (p * t).sum(1) + smooth) / (p.sum(1) + t.sum(1) + smooth)
    return bce + (1 - dice.sum() / n)


def build(**kwargs):
    return MODELS.build(dict(type='BceDiceLoss', **kwargs))


def test_matches_malunet_on_moderate_logits():
    torch.manual_seed(0)
    logits = torch.randn(3, 1, 16, 16) * 3
    target = (torch.rand(3, 16, 16) > 0.6).long()
    loss = build()(logits, target)
    expected = malunet_bce_dice(torch.sigmoid(logits[:, 0]), target.float())
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert build().loss_name == 'loss_bce_dice'


def test_weights():
    logits = torch.randn(2, 1, 8, 8)
    target = (torch.rand(2, 8, 8) > 0.5).long()
    prob = torch.sigmoid(logits[:, 0])
    bce = nn.BCELoss()(prob, target.float())
    both = build(bce_weight=2., dice_weight=0.5, loss_weight=3.)
    dice = malunet_bce_dice(prob, target.float()) - bce
    assert both(logits, target).item() == pytest.approx(
        3 * (2 * bce + 0.5 * dice).item(), rel=1e-5)


def test_stable_on_large_logits():
    logits = torch.tensor([[-200., 150.], [90., -1e4]]).view(1, 1, 2, 2)
    logits.requires_grad_()
    target = torch.tensor([[1, 0], [1, 0]]).view(1, 2, 2)
    loss = build()(logits, target)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()
    # the two wrong pixels cost |z| each in the BCE term: (200 + 150) / 4;
    # Dice: p = [0, 1, 1, 0], y = [1, 0, 1, 0] -> 1 - (2 + 1) / (4 + 1)
    assert loss.item() == pytest.approx(350 / 4 + 0.4, rel=1e-5)
    # probability-space BCE (the public formulation) saturates instead
    naive = nn.BCELoss()(torch.sigmoid(logits.detach()).view(-1),
                         target.float().view(-1))
    assert naive.item() < loss.item()


def test_ignored_pixels_do_not_count():
    logits = torch.randn(2, 1, 8, 8)
    target = (torch.rand(2, 8, 8) > 0.5).long()
    padded = target.clone()
    padded[:, :, 6:] = 255
    wild = logits.clone()
    wild[..., 6:] = 50.
    loss = build()
    assert loss(wild, padded).item() == pytest.approx(
        loss(logits[..., :6], target[..., :6]).item(), rel=1e-5)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match='one logit channel'):
        build()(torch.randn(2, 2, 4, 4), torch.zeros(2, 4, 4).long())
    with pytest.raises(ValueError, match='same shape'):
        build()(torch.randn(2, 1, 4, 4), torch.zeros(2, 5, 4).long())
    with pytest.raises(ValueError, match='bce_weight'):
        build(bce_weight=-1)
    with pytest.raises(ValueError, match="loss_"):
        build(loss_name='bce')
