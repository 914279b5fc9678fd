# Copyright (c) medproto contributors. All rights reserved.
"""The stage layout that MALUNet and MAUNet take from MALUNetFamily: the
same stage names in the same order, decoder1 alone without upsampling,
encoder6 without norm or pooling, and the shared argument checks."""
import pytest
import torch

from medproto.models.backbones import MALUNet, MAUNet
from medproto.models.backbones.malunet_family import MALUNetFamily

STAGES = ['encoder1', 'encoder2', 'encoder3', 'encoder4', 'encoder5',
          'encoder6', 'bridge', 'decoder1', 'decoder2', 'decoder3',
          'decoder4', 'decoder5']


@pytest.mark.parametrize('cls', [MALUNet, MAUNet])
def test_stage_names_order_and_deep_stages(cls):
    model = cls()
    assert isinstance(model, MALUNetFamily)
    assert [name for name, _ in model.named_children()] == STAGES
    assert model.encoder6.downsample is False
    assert isinstance(model.encoder6.norm, torch.nn.Identity)
    assert [getattr(model, f'decoder{j}').upsample for j in range(1, 6)] \
        == [False, True, True, True, True]
    c = model.c_list
    x = torch.randn(1, 3, 128, 128)
    shapes = [tuple(o.shape) for o in model.eval()(x)]
    assert shapes == [(1, c[4 - j], 4 * 2**j, 4 * 2**j) for j in range(5)]
    no_bridge = cls(bridge=False)
    assert no_bridge.bridge is None
    assert [n for n, _ in no_bridge.named_children()] == STAGES[:6] + \
        STAGES[7:]


@pytest.mark.parametrize('cls', [MALUNet, MAUNet])
@pytest.mark.parametrize('kwargs, match', [
    (dict(in_channels=True), 'in_channels'),
    (dict(in_channels=0), 'in_channels'),
    (dict(out_indices=(5, )), 'out_indices'),
    (dict(c_list=(8, 16)), 'c_list'),
])
def test_shared_argument_checks(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)
