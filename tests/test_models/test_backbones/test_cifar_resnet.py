# Copyright (c) medproto contributors. All rights reserved.
import medproto  # noqa: F401
import pytest
import torch
from mmpretrain.registry import MODELS

from medproto.models.backbones import CifarResNet


def classifier_params(arch: str) -> float:
    """Parameters (millions) of the 100-class classifier on ``arch``."""
    backbone = CifarResNet(arch=arch)
    model = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='CifarResNet', arch=arch),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100,
                  in_channels=backbone.out_channels[-1])))
    return sum(p.numel() for p in model.parameters()) / 1e6


@pytest.mark.parametrize('arch, params', [
    # Sizes reported for the RepDistiller / mdistiller CIFAR-100 models.
    ('resnet20', 0.28), ('resnet56', 0.86), ('resnet8x4', 1.23),
    ('resnet32x4', 7.43)])
def test_parameter_counts_match_the_benchmarks(arch, params):
    assert classifier_params(arch) == pytest.approx(params, abs=0.006)


def test_stage_outputs_and_preactivation():
    model = CifarResNet(arch='resnet8x4', out_indices=(0, 1, 2))
    model.init_weights()
    outs = model(torch.randn(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 32, 32),
                                              (2, 128, 16, 16),
                                              (2, 256, 8, 8)]
    assert all((o >= 0).all() for o in outs)  # post-ReLU
    # The final activation is its own non in-place module: its input is the
    # pre-activation sum (negative values survive).
    captured = []
    model.layer3[0].out_act.register_forward_pre_hook(
        lambda m, args: captured.append(args[0]))
    outs = model(torch.randn(2, 3, 32, 32))
    assert (captured[0] < 0).any()
    assert torch.equal(captured[0].relu(), outs[-1])
    assert len(CifarResNet(arch='resnet32x4').layer1) == 5


def test_custom_arch_and_negative_out_indices():
    model = CifarResNet(arch=dict(depth=14, widths=[4, 4, 8, 8]),
                        out_indices=(-1, ))
    assert model.out_indices == (2, ) and len(model.layer2) == 2
    assert model(torch.randn(1, 3, 8, 8))[0].shape == (1, 8, 2, 2)


@pytest.mark.parametrize('kwargs, message', [
    (dict(arch='resnet9'), 'unknown CifarResNet arch'),
    (dict(arch=dict(depth=9, widths=[4, 4, 4, 4])), 'depth must be 6n'),
    (dict(arch=dict(depth=8, widths=[4, 4, 4])), 'widths must be 4'),
    (dict(arch=dict(depth=8)), 'must be a name or'),
    (dict(out_indices=(3, )), 'out_indices must be ints'),
    (dict(out_indices=()), 'non-empty'),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CifarResNet(**kwargs)
