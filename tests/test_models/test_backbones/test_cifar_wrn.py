# Copyright (c) medproto contributors. All rights reserved.
import medproto  # noqa: F401
import pytest
import torch
from mmpretrain.registry import MODELS

from medproto.models.backbones import CifarWideResNet


@pytest.mark.parametrize('arch, params', [('wrn16_2', 0.70),
                                          ('wrn40_2', 2.26)])
def test_parameter_counts_match_the_benchmarks(arch, params):
    model = MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='CifarWideResNet', arch=arch),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100, in_channels=128)))
    count = sum(p.numel() for p in model.parameters()) / 1e6
    assert count == pytest.approx(params, abs=0.006)


def test_outputs_and_preactivations():
    model = CifarWideResNet(arch='wrn16_2', out_indices=(0, 1, 2))
    model.init_weights()
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    outs = model(x)
    assert [tuple(o.shape) for o in outs] == [(2, 32, 32, 32),
                                              (2, 64, 16, 16),
                                              (2, 128, 8, 8)]
    # Early stages are raw block outputs, the last one is BN + ReLU'd.
    assert (outs[0] < 0).any() and (outs[2] >= 0).all()
    records = {}
    model.final_norm.register_forward_hook(
        lambda m, a, out: records.__setitem__('final', out))
    model.layer2[0].bn1.register_forward_hook(
        lambda m, a, out: records.__setitem__('pre1', out))
    outs = model(x)
    # Recorded BN outputs stay pre-activation (the ReLUs are not in-place).
    assert (records['final'] < 0).any()
    assert torch.equal(records['final'].relu(), outs[2])
    assert torch.allclose(records['pre1'], model.layer2[0].bn1(outs[0]))


def test_dropout_only_in_training():
    model = CifarWideResNet(arch=dict(depth=10, widen_factor=1),
                            drop_rate=0.5)
    x = torch.randn(2, 3, 8, 8)
    model.eval()
    assert torch.equal(model(x)[0], model(x)[0])
    model.train()
    assert not torch.equal(model(x)[0], model(x)[0])


@pytest.mark.parametrize('kwargs, message', [
    (dict(arch='wrn28_10'), 'unknown CifarWideResNet arch'),
    (dict(arch=dict(depth=12, widen_factor=1)), 'depth must be 6n'),
    (dict(arch=dict(depth=16, widen_factor=0)), 'widen_factor must be'),
    (dict(drop_rate=1.0), 'drop_rate must be in'),
    (dict(out_indices=(5, )), 'out_indices must be ints'),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CifarWideResNet(**kwargs)
