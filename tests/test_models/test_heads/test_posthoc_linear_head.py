# Copyright (c) medproto contributors. All rights reserved.
"""PostHocLinearClsHead: tau-normalisation and post-hoc logit adjustment at
prediction, against the formulas in numpy; training as LinearClsHead."""
import numpy as np
import pytest
import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from medproto.models.heads import PostHocLinearClsHead

COUNTS = [40, 10, 4]


def _head(**kwargs) -> PostHocLinearClsHead:
    torch.manual_seed(0)
    head = PostHocLinearClsHead(num_classes=3, in_channels=5, **kwargs)
    with torch.no_grad():  # rows of very different norms
        head.fc.weight.copy_(torch.randn(3, 5) * torch.tensor([[3.], [1.],
                                                               [.2]]))
        head.fc.bias.copy_(torch.tensor([0.5, -0.2, 0.1]))
    return head


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize('la_tau, norm_tau', [(0., 0.), (1., 0.), (0., 1.),
                                              (0.5, 0.7)])
def test_predict_matches_the_formulas(la_tau, norm_tau):
    head = _head(class_counts=COUNTS, logit_adjust_tau=la_tau,
                 norm_tau=norm_tau)
    x = torch.randn(4, 5)
    w = head.fc.weight.detach().numpy().astype(np.float64)
    b = head.fc.bias.detach().numpy().astype(np.float64)
    xs = x.numpy().astype(np.float64)
    if norm_tau > 0:  # Kang et al.: w_c / ||w_c||^tau, no bias
        norms = np.sqrt((w**2).sum(axis=1, keepdims=True))
        logits = xs @ (w / norms**norm_tau).T
    else:
        logits = xs @ w.T + b
    prior = np.array(COUNTS, dtype=np.float64) / sum(COUNTS)
    logits = logits - la_tau * np.log(prior)  # Menon et al. Eq. 9
    preds = head.predict((x, ))
    scores = torch.stack([p.pred_score for p in preds]).detach().numpy()
    np.testing.assert_allclose(scores, _softmax(logits), rtol=1e-4,
                               atol=1e-6)
    assert [int(p.pred_label) for p in preds] == logits.argmax(1).tolist()


def test_adjustment_moves_predictions_to_the_tail():
    """With a strong prior correction the tail class wins more often."""
    x = torch.randn(200, 5)
    plain = _head(class_counts=COUNTS)
    adjusted = _head(class_counts=COUNTS, logit_adjust_tau=2.0)
    count = [sum(int(p.pred_label) == 2 for p in h.predict((x, )))
             for h in (plain, adjusted)]
    assert count[1] > count[0]


def test_training_is_that_of_linear_cls_head():
    head = _head(class_counts=COUNTS, logit_adjust_tau=1.0, norm_tau=1.0)
    ref = LinearClsHead(num_classes=3, in_channels=5)
    ref.load_state_dict(head.state_dict())
    x = torch.randn(4, 5)
    samples = [DataSample().set_gt_label(i % 3) for i in range(4)]
    torch.testing.assert_close(head.loss((x, ), samples)['loss'],
                               ref.loss((x, ), samples)['loss'])
    torch.testing.assert_close(head((x, )), ref((x, )))
    # No extra state: a LinearClsHead checkpoint loads as it is.
    assert set(head.state_dict()) == {'fc.weight', 'fc.bias'}


def test_registry_and_bad_settings():
    head = MODELS.build(dict(type='PostHocLinearClsHead', num_classes=3,
                             in_channels=5, norm_tau=1.0))
    assert isinstance(head, PostHocLinearClsHead)
    with pytest.raises(ValueError, match='needs class_counts'):
        PostHocLinearClsHead(3, 5, logit_adjust_tau=1.0)
    with pytest.raises(ValueError, match='class_counts has 2 entries'):
        PostHocLinearClsHead(3, 5, class_counts=[4, 2])
    with pytest.raises(ValueError, match='norm_tau'):
        PostHocLinearClsHead(3, 5, norm_tau=-1)
