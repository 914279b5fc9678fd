# Copyright (c) medproto contributors. All rights reserved.
import copy
import os.path as osp

import medproto  # noqa: F401
import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from medproto.models.backbones import MALUNet, MAUNet
from medproto.utils.efficiency import count_params

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))
C_LIST = (8, 16, 24, 32, 48, 64)
#: The public MicroAUNet layers (GroupNorm, NCHW, 1x1 DW convs, norm first).
PUBLIC = dict(norm_cfg=dict(type='GN', num_groups=4), channels_last=False,
              dw_in_1x1=True, norm_after_pool=False, downsample_first=False,
              stem='dwd')
FEATURES = [f'encoder{i}' for i in range(1, 7)] + \
    [f'decoder{i}' for i in range(1, 6)]


def calibrated(model, steps=3, size=128):
    """Give the BatchNorms non-trivial running statistics."""
    model.train()
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        for _ in range(steps):
            model(torch.randn(4, 3, size, size, dtype=dtype) * 2 + 0.5)
    return model.eval()


def conv_linear_macs(model, size=256):
    analyzer = FlopAnalyzer(model.eval(), (torch.randn(1, 3, size, size), ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.tracer_warnings('none')
    by_op = analyzer.by_operator()
    return by_op.get('conv', 0) + by_op.get('linear', 0), sum(by_op.values())


@pytest.mark.parametrize('kwargs,h,w', [({}, 256, 256), ({}, 128, 160),
                                        (dict(bridge=False), 64, 96)])
def test_shapes_match_the_teacher(kwargs, h, w, record):
    x = torch.randn(2, 3, h, w)
    student, teacher = MAUNet(**kwargs).eval(), MALUNet(**kwargs).eval()
    s_feats, t_feats = record(student, FEATURES), record(teacher, FEATURES)
    with torch.no_grad():
        s_outs, t_outs = student(x), teacher(x)
    assert [o.shape for o in s_outs] == [o.shape for o in t_outs]
    assert s_outs[-1].shape == (2, 8, h // 2, w // 2)
    for name in FEATURES:
        assert s_feats[name].shape == t_feats[name].shape, name
    for i in range(5):
        assert s_feats[f'encoder{i + 1}'].shape[1] == C_LIST[i]


def test_input_errors_are_clear():
    model = MAUNet()
    with pytest.raises(ValueError, match='multiples of 32'):
        model(torch.randn(1, 3, 100, 100))
    # LSAB's reflect padding needs the H/32 skip to be wider than 3 px
    with pytest.raises(ValueError, match='at least 128 px'):
        model(torch.randn(1, 3, 64, 96))


@pytest.mark.parametrize('kwargs,match', [
    (dict(c_list=(8, 16, 24)), 'c_list'),
    (dict(norm_cfg='BN'), 'norm_cfg'),
    (dict(norm_cfg=dict(type='GN', num_groups=4)), 'dw_in_1x1'),
    (dict(out_indices=(0, 7)), 'out_indices'),
])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MAUNet(**kwargs)


def test_parameter_counts_and_budget():
    # public layers: 84,272 + 9 in the 1-class head = 84,281
    assert count_params(MAUNet(**PUBLIC)) == 84_272
    # default: BN; no 1x1 DW in the LDGA 1x1 helpers (-1,248), no bias
    # on the depthwise convs right before a BatchNorm (-312) and no stage
    # norm after the strided stem DWDConv (-16)
    dwd_stem = MAUNet(stem='dwd')
    assert count_params(dwd_stem) == 84_272 - 1_248 - 312 - 16 == 82_696
    # the default dense 3x3 stem: 216 weights + BN(8) = 232 parameters
    # against the DWDConv's 27 + BN(3) + 24 + BN(8) = 73
    model = MAUNet()
    assert count_params(model) == 82_696 - 73 + 232 == 82_855
    assert count_params(model) + 9 <= 90_000


def test_macs_within_budget():
    conv_linear, total = conv_linear_macs(MAUNet())
    public, _ = conv_linear_macs(MAUNet(**PUBLIC))
    assert conv_linear <= 0.045e9
    assert public / 1e9 == pytest.approx(0.0412, abs=0.0005)
    # the layout halves the public MACs; the dense stem adds 3.5 MMACs
    dwd_stem, _ = conv_linear_macs(MAUNet(stem='dwd'))
    assert dwd_stem < 0.5 * public
    assert conv_linear - dwd_stem == 128 * 128 * (3 * 8 * 9 - (3 * 9 + 3 * 8))
    # the library total also counts norms and upsampling
    assert total < 0.05e9


def close(a, b, tol):
    """``a == b`` up to ``tol`` relative to the largest magnitude of ``b``
    (the features grow to O(10-100) with MALUNet's init)."""
    return (a - b).abs().max().item() <= tol * b.abs().max().item()


@pytest.mark.parametrize('dtype,tol', [(torch.float32, 1e-5),
                                       (torch.float64, 1e-12)])
def test_fuse_keeps_outputs(dtype, tol, record):
    model = calibrated(MAUNet().to(dtype))
    x = torch.randn(2, 3, 128, 128, dtype=dtype)
    feats = record(model, FEATURES)
    with torch.no_grad():
        ref = [o.clone() for o in model(x)]
        ref_feats = {k: v.clone() for k, v in feats.items()}
    fused = model.switch_to_deploy()
    assert fused is model and not model.training
    assert not any(isinstance(m, torch.nn.BatchNorm2d)
                   for m in model.encoder2.block.modules())
    with torch.no_grad():
        outs = model(x)
    for a, b in zip(outs, ref):
        assert close(a, b, tol)
    for name in FEATURES:  # hooks see the same features after fusion
        assert close(feats[name], ref_feats[name], tol), name
    model.fuse()  # idempotent
    with torch.no_grad():
        assert close(model(x)[-1], ref[-1], tol)


def test_channels_last_is_only_a_layout():
    torch.manual_seed(0)
    nchw = calibrated(MAUNet(channels_last=False))
    nhwc = copy.deepcopy(nchw)
    nhwc.channels_last = True
    x = torch.randn(1, 3, 128, 128)
    with torch.no_grad():
        a, b = nchw(x)[-1], nhwc(x)[-1]
    assert b.is_contiguous(memory_format=torch.channels_last)
    assert close(a, b, 1e-5)


def test_every_parameter_gets_a_gradient():
    torch.manual_seed(0)
    model = MAUNet().train()
    # The LDGA gates start at zero (constant 0.5), and then the out_conv
    # BatchNorm also cancels the LDGA dwconv output biases; after the
    # first step the gates are not constant any more. Check that state.
    for m in model.modules():
        if type(m).__name__ == 'LightweightDGA':
            torch.nn.init.normal_(m.gate.weight, 0., 0.1)
    outs = model(torch.randn(2, 3, 128, 128))
    sum(o.square().mean() for o in outs).backward()
    assert all(p.grad is not None for p in model.parameters())
    # documented (MAUNet docstring): the encoder LDGAs' output biases are
    # cancelled by the stage BatchNorm and get rounding-level gradients only
    cancelled = {f'encoder{i}.block.1.{part}.{name}.bias'
                 for i in range(2, 6) for part in ('out_conv', 'shortcut')
                 for name in ('pw', 'norm')}
    tiny = {n for n, p in model.named_parameters()
            if p.grad.abs().max() < 1e-5}
    assert tiny == cancelled


def test_downsample_first_layout():
    """The default encoder downsamples before its blocks: a stride-2
    depthwise conv in the stem, max-pooling first in encoder2..5."""
    model = MAUNet(stem='dwd')
    assert model.encoder1.block.dw.stride == (2, 2)
    assert MAUNet().encoder1.block.conv.stride == (2, 2)
    assert not model.encoder1.downsample
    assert isinstance(model.encoder1.norm, torch.nn.Identity)
    for i in range(2, 6):
        assert getattr(model, f'encoder{i}').pool_first
    public = MAUNet(**PUBLIC)
    assert public.encoder1.block.dw.stride == (1, 1)
    assert not any(getattr(public, f'encoder{i}').pool_first
                   for i in range(1, 6))
    # the fast layout does a quarter of the block work at every level
    fast, _ = conv_linear_macs(model)
    slow, _ = conv_linear_macs(MAUNet(downsample_first=False))
    assert fast < 0.5 * slow


def test_public_layout_matches_public_semantics():
    """With the public switches the stage norms are GroupNorms applied
    before pooling and the LDGA 1x1 helpers keep their depthwise conv."""
    model = MAUNet(**PUBLIC)
    assert isinstance(model.encoder2.norm, torch.nn.GroupNorm)
    assert not model.encoder2.norm_after_pool
    assert isinstance(model.encoder2.block[1].shortcut.dw, torch.nn.Conv2d)
    assert isinstance(model.bridge.alpha, torch.nn.Parameter)
    assert model.bridge.alpha.item() == model.bridge.beta.item() == 0.5


def test_base_config_builds_a_segmentor_that_trains_and_predicts():
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/models/maunet.py'))
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    assert count_params(model) == 82_855 + 9
    size = 128  # the smallest input the LSCAB bridge accepts
    inputs = torch.randint(0, 256, (2, 3, size, size)).float()
    samples = []
    for _ in range(2):
        s = SegDataSample(metainfo=dict(img_shape=(size, size),
                                        pad_shape=(size, size),
                                        ori_shape=(size, size)))
        s.gt_sem_seg = PixelData(data=(torch.rand(1, size, size) > .5).long())
        samples.append(s)
    data = model.data_preprocessor(dict(inputs=list(inputs),
                                        data_samples=samples), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    losses['decode.loss_bce_dice'].backward()
    assert model.backbone.encoder1.block.conv.weight.grad is not None
    model.eval()
    with torch.no_grad():
        results = model.predict(data['inputs'], data['data_samples'])
    assert len(results) == 2
    for result in results:
        pred = result.pred_sem_seg.data
        assert pred.shape == (1, size, size)
        assert torch.equal(pred, (result.seg_logits.data > 0.5).to(pred))


def test_ldga_gates_start_open_not_saturated():
    torch.manual_seed(0)
    model = MAUNet().train()
    gates = []
    for name, m in model.named_modules():
        if type(m).__name__ == 'LightweightDGA':
            m.gate.register_forward_hook(
                lambda mod, i, o: gates.append(torch.sigmoid(o)))
    out = model(torch.randn(2, 3, 128, 128))[-1]
    assert len(gates) == 10
    assert all(torch.allclose(g, torch.full_like(g, 0.5)) for g in gates)
    out.square().mean().backward()
    for name, m in model.named_modules():
        if type(m).__name__ == 'LightweightDGA':
            assert m.gate.weight.grad.abs().max() > 0, name
    model.init_weights()  # the mmengine entry point keeps the rule
    assert all(m.gate.weight.abs().max() == 0 for m in model.modules()
               if type(m).__name__ == 'LightweightDGA')


def test_malunet_init_would_saturate_the_ldga_gates():
    """Why the gates start at zero: under MALUNet's rule (std sqrt(2) for
    the C -> 1 gate conv) most gates start below 0.05 or above 0.95."""
    from medproto.models.layers import malunet_init_weights
    torch.manual_seed(0)
    model = MAUNet().train()
    fractions = []
    for m in model.modules():
        if type(m).__name__ == 'LightweightDGA':
            malunet_init_weights(m.gate)
            m.gate.register_forward_hook(
                lambda mod, i, o: fractions.append(
                    ((o.sigmoid() < .05) | (o.sigmoid() > .95)).float()
                    .mean().item()))
    with torch.no_grad():
        model(torch.randn(4, 3, 256, 256))
    assert len(fractions) == 10
    assert min(fractions) > 0.5
