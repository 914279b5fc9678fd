# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
from torch import nn

from medproto.distill.connectors import Conv1x1Connector


def test_projection_matches_einsum_without_norm():
    conn = Conv1x1Connector(3, 5, norm=False)
    x = torch.randn(2, 3, 4, 4)
    w = conn.layers[0].weight[:, :, 0, 0]
    expected = torch.einsum('oc,nchw->nohw', w, x) + \
        conn.layers[0].bias[None, :, None, None]
    torch.testing.assert_close(conn(x), expected)


def test_norm_and_relu_layers():
    conn = Conv1x1Connector(3, 5, relu=True)
    assert conn.layers[0].bias is None
    assert isinstance(conn.layers[1], nn.BatchNorm2d)
    assert isinstance(conn.layers[2], nn.ReLU)
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    y = conn(x)
    assert y.shape == (2, 5, 4, 4)
    y.pow(2).sum().backward()
    assert x.grad.abs().sum() > 0


def test_errors():
    with pytest.raises(ValueError, match='in_channels'):
        Conv1x1Connector(0, 5)
    with pytest.raises(ValueError, match='norm'):
        Conv1x1Connector(3, 5, norm='yes')
