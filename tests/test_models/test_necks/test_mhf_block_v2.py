# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import medproto  # noqa: F401
from medproto.models.necks import (AMAFDSGModule, EnhancementModuleLite,
                                   MHFBlock, MHFBlockV2)


@pytest.fixture(autouse=True, scope='module')
def mmpretrain_scope():
    """Build under mmpretrain's scope whatever scope earlier tests left."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def _inputs(c=16, prev=8, size=4):
    torch.manual_seed(1)
    return (torch.randn(2, c, size, size), torch.randn(2, c, size, size),
            torch.randn(2, prev, 2 * size, 2 * size))


def test_v2_subclasses_v1_and_builds_enhancements():
    assert issubclass(MHFBlockV2, MHFBlock)
    lite = MHFBlockV2(16, 16, 16, prev_channels=8, enhancement='lite')
    ama = MODELS.build(dict(type='MHFBlockV2', local_channels=16,
                            global_channels=16, out_channels=16,
                            enhancement='amafdsg'))
    assert isinstance(lite.enhancement, EnhancementModuleLite)
    assert isinstance(ama.enhancement, AMAFDSGModule)
    assert MHFBlockV2(16, 16, 16, enhancement=None).enhancement is None
    with pytest.raises(ValueError, match='enhancement must be one of'):
        MHFBlockV2(16, 16, 16, enhancement='big')
    with pytest.raises(ValueError, match='channels must equal'):
        MHFBlockV2(16, 16, 16, enhancement=dict(
            type='EnhancementModuleLite', channels=8))


@pytest.mark.parametrize('enhancement', ['lite', 'amafdsg'])
@pytest.mark.parametrize('train', [False, True])
def test_v2_equals_v1_at_init_with_v1_weights(enhancement, train):
    torch.manual_seed(0)
    v1 = MHFBlock(16, 16, 16, prev_channels=8)
    torch.manual_seed(99)  # different weights until loaded
    v2 = MHFBlockV2(16, 16, 16, prev_channels=8, enhancement=enhancement)
    result = v2.load_state_dict(v1.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert result.missing_keys and all(
        k.startswith('enhancement.') for k in result.missing_keys)
    v1.train(train)
    v2.train(train)
    x = _inputs()
    assert torch.equal(v1(*x), v2(*x))


@pytest.mark.parametrize('enhancement', ['lite', 'amafdsg'])
def test_v2_differs_once_the_gate_opens(enhancement):
    torch.manual_seed(0)
    v1 = MHFBlock(16, 16, 16, prev_channels=8).eval()
    v2 = MHFBlockV2(16, 16, 16, prev_channels=8,
                    enhancement=enhancement).eval()
    v2.load_state_dict(v1.state_dict(), strict=False)
    scale = next(p for n, p in v2.enhancement.named_parameters()
                 if n.endswith(('scale.scale', 'gate.global_scale')))
    with torch.no_grad():
        scale.fill_(0.5)
    x = _inputs()
    assert not torch.allclose(v1(*x), v2(*x))


def test_enhancement_applied_before_the_shortcut():
    torch.manual_seed(0)
    v2 = MHFBlockV2(16, 16, 16, prev_channels=8).eval()
    with torch.no_grad():
        v2.enhancement.scale.scale.fill_(1.)
    x = _inputs()
    fused, shortcut = v2.fuse(*x)
    expected = fused + v2.enhancement(fused) + shortcut
    assert torch.allclose(v2(*x), expected)
