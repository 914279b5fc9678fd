# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch

from medproto.distill.connectors import ResizeConnector


def test_size_and_scale():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    down = ResizeConnector(size=2, mode='area')(x)
    expected = torch.tensor([[2.5, 4.5], [10.5, 12.5]])  # 2x2 block means
    torch.testing.assert_close(down[0, 0], expected)
    up = ResizeConnector(scale_factor=2, mode='nearest')(x)
    assert up.shape == (1, 1, 8, 8)
    torch.testing.assert_close(up[0, 0, ::2, ::2], x[0, 0])
    assert ResizeConnector(size=(3, 5))(x).shape == (1, 1, 3, 5)


def test_errors():
    with pytest.raises(ValueError, match='exactly one'):
        ResizeConnector()
    with pytest.raises(ValueError, match='exactly one'):
        ResizeConnector(size=2, scale_factor=2)
    with pytest.raises(ValueError, match='mode'):
        ResizeConnector(size=2, mode='linear')
    with pytest.raises(ValueError, match='scale_factor'):
        ResizeConnector(scale_factor=-1)
