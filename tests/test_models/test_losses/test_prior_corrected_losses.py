# Copyright (c) medproto contributors. All rights reserved.
"""Logit-adjusted CE, Balanced Softmax and LDAM(-DRW) against the papers'
formulas written out in numpy."""
import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmpretrain.registry import MODELS

from medproto.models.losses import (BalancedSoftmaxLoss, LDAMLoss,
                                    LogitAdjustedCrossEntropyLoss)

COUNTS = [50, 20, 5, 1]


def _logsoftmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@pytest.fixture
def batch():
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(6, 4, generator=gen, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 3, 3, 0])
    return scores, labels


def _reference_ce(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return -_logsoftmax(logits)[np.arange(len(labels)), labels]


@pytest.mark.parametrize('tau', [0.0, 0.5, 1.0, 2.0])
def test_logit_adjusted_loss_matches_menon_eq10(batch, tau):
    scores, labels = batch
    prior = np.array(COUNTS, dtype=np.float64) / sum(COUNTS)
    expected = _reference_ce(scores.numpy() + tau * np.log(prior),
                             labels.numpy())
    loss = LogitAdjustedCrossEntropyLoss(COUNTS, tau=tau)
    got = loss(scores, labels, reduction_override='none')
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(loss(scores, labels).item(), expected.mean(),
                               rtol=1e-5)


def test_logit_adjusted_loss_favours_the_tail_over_plain_ce(batch):
    """The adjustment raises the loss of tail samples relative to CE."""
    scores, labels = batch
    plain = LogitAdjustedCrossEntropyLoss(COUNTS, tau=0.0)
    adjusted = LogitAdjustedCrossEntropyLoss(COUNTS, tau=1.0)
    tail = labels == 3
    assert (adjusted(scores, labels, reduction_override='none')[tail] >
            plain(scores, labels, reduction_override='none')[tail]).all()


def test_balanced_softmax_matches_ren_eq4(batch):
    scores, labels = batch
    z, n = scores.numpy(), np.array(COUNTS, dtype=np.float64)
    # p_ic = n_c exp(z_ic) / sum_j n_j exp(z_ij), written without log-sum
    p = n * np.exp(z) / (n * np.exp(z)).sum(axis=1, keepdims=True)
    expected = -np.log(p[np.arange(len(labels)), labels.numpy()])
    loss = BalancedSoftmaxLoss(COUNTS)
    got = loss(scores, labels, reduction_override='none')
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(loss(scores, labels).item(), expected.mean(),
                               rtol=1e-5)
    # Equal to the logit-adjusted loss with tau = 1 (shift invariance).
    la = LogitAdjustedCrossEntropyLoss(COUNTS, tau=1.0)
    torch.testing.assert_close(loss(scores, labels), la(scores, labels))


def test_soft_labels_and_sample_weights(batch):
    scores, labels = batch
    soft = torch.nn.functional.one_hot(labels, 4).double()
    weight = torch.arange(1, 7, dtype=torch.float64)
    for loss in (BalancedSoftmaxLoss(COUNTS),
                 LogitAdjustedCrossEntropyLoss(COUNTS, tau=1.0)):
        per = loss(scores, labels, reduction_override='none')
        torch.testing.assert_close(loss(scores, soft), loss(scores, labels))
        torch.testing.assert_close(
            loss(scores, labels, weight=weight), (per * weight).mean())
        torch.testing.assert_close(
            loss(scores, labels, reduction_override='sum'), per.sum())


def _ldam_reference(z, labels, counts, max_m, s, weights=None):
    """Cao et al. Eq. 13 with the official normalisation of the margins and
    torch's weighted mean (sum w_i l_i / sum w_i)."""
    n = np.array(counts, dtype=np.float64)
    m = 1.0 / n**0.25
    m = m * (max_m / m.max())
    adjusted = z.copy()
    rows = np.arange(len(labels))
    adjusted[rows, labels] -= m[labels]
    per = -_logsoftmax(s * adjusted)[rows, labels]
    if weights is None:
        return per, per.mean()
    w = weights[labels]
    return per * w, (per * w).sum() / w.sum()


def _cb_weights(counts, beta):
    eff = (1 - beta**np.array(counts, dtype=np.float64)) / (1 - beta)
    w = 1 / eff
    return w / w.sum() * len(counts)


@pytest.fixture
def hub():
    hub = MessageHub.get_instance('test_ldam_loss')
    hub.update_info('epoch', 0)
    hub.update_info('iter', 0)
    return hub


def test_ldam_without_drw_matches_cao_eq13(batch, hub):
    scores, labels = batch
    loss = LDAMLoss(COUNTS, max_margin=0.5, scale=30.0)
    per, mean = _ldam_reference(scores.numpy(), labels.numpy(), COUNTS, 0.5,
                                30.0)
    np.testing.assert_allclose(
        loss(scores, labels, reduction_override='none').numpy(), per,
        rtol=1e-5)
    np.testing.assert_allclose(loss(scores, labels).item(), mean, rtol=1e-5)
    # The rarest class has the largest margin, max_margin.
    assert loss.margins.argmax() == 3
    assert loss.margins.max().item() == pytest.approx(0.5)


@pytest.mark.parametrize('by_epoch, key', [(True, 'epoch'), (False, 'iter')])
def test_ldam_drw_switches_to_class_balanced_weights(batch, hub, by_epoch,
                                                     key):
    scores, labels = batch
    loss = LDAMLoss(COUNTS, max_margin=0.3, scale=10.0, drw_start=3,
                    drw_by_epoch=by_epoch, drw_beta=0.999)
    z, y = scores.numpy(), labels.numpy()
    _, plain = _ldam_reference(z, y, COUNTS, 0.3, 10.0)
    _, weighted = _ldam_reference(z, y, COUNTS, 0.3, 10.0,
                                  _cb_weights(COUNTS, 0.999))
    assert plain != pytest.approx(weighted)
    hub.update_info(key, 2)
    assert not loss.drw_active()
    np.testing.assert_allclose(loss(scores, labels).item(), plain, rtol=1e-5)
    hub.update_info(key, 3)
    assert loss.drw_active()
    np.testing.assert_allclose(loss(scores, labels).item(), weighted,
                               rtol=1e-5)
    # torch's own weighted cross_entropy: the official DRW loss.
    weights = torch.as_tensor(_cb_weights(COUNTS, 0.999))
    margin_logits = scores.clone()
    margin_logits[torch.arange(6), labels] -= loss.margins.double()[labels]
    official = torch.nn.functional.cross_entropy(
        10.0 * margin_logits, labels, weight=weights)
    torch.testing.assert_close(loss(scores, labels), official)


def test_losses_build_from_the_registry_and_reject_bad_settings():
    built = MODELS.build(dict(type='LDAMLoss', class_counts=COUNTS))
    assert isinstance(built, LDAMLoss)
    assert isinstance(MODELS.build(dict(type='BalancedSoftmaxLoss',
                                        class_counts=COUNTS)),
                      BalancedSoftmaxLoss)
    assert isinstance(MODELS.build(dict(type='LogitAdjustedCrossEntropyLoss',
                                        class_counts=COUNTS)),
                      LogitAdjustedCrossEntropyLoss)
    with pytest.raises(ValueError, match='class_counts'):
        BalancedSoftmaxLoss([10, 0])
    with pytest.raises(ValueError, match='tau'):
        LogitAdjustedCrossEntropyLoss(COUNTS, tau=-1)
    with pytest.raises(ValueError, match='max_margin'):
        LDAMLoss(COUNTS, max_margin=0)
    with pytest.raises(ValueError, match='drw_start'):
        LDAMLoss(COUNTS, drw_start=1.5)
    with pytest.raises(ValueError, match='drw_beta'):
        LDAMLoss(COUNTS, drw_beta=1.0)
    with pytest.raises(ValueError, match=r'cls_score must be \(N, 4\)'):
        BalancedSoftmaxLoss(COUNTS)(torch.zeros(2, 3), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='label values'):
        LDAMLoss(COUNTS)(torch.zeros(2, 4), torch.tensor([0, 4]))
