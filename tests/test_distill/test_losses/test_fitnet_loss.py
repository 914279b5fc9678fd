# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import FitNetLoss


def test_matches_mean_squared_error(assert_student_only_gradients):
    torch.manual_seed(0)
    s = torch.randn(2, 3, 4, 4, requires_grad=True)
    t = torch.randn(2, 3, 4, 4, requires_grad=True)
    loss = FitNetLoss()(s, t)
    diff = s.detach().numpy() - t.detach().numpy()
    expected = 100.0 * np.sum(diff**2) / diff.size
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert_student_only_gradients(loss, [s], [t])


def test_shape_mismatch_points_to_connectors():
    with pytest.raises(ValueError, match='ConvRegConnector'):
        FitNetLoss()(torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4))
