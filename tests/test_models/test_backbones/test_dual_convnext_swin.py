# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import medproto  # noqa: F401
from medproto.models.backbones import DualConvNeXtSwin


@pytest.fixture(autouse=True, scope='module')
def mmpretrain_scope():
    """Build under mmpretrain's scope whatever scope earlier tests left."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def _build(**kwargs):
    cfg = dict(type='DualConvNeXtSwin', arch='nano',
               fusion_drop_rates=(0., 0., 0., 0.))
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


@pytest.fixture(scope='module')
def nano():
    model = _build(out_indices=(0, 1, 2, 3))
    model.eval()
    return model


@pytest.mark.parametrize('size', [(64, 64), (96, 128)])
def test_stage_shapes(nano, size):
    h, w = size
    with torch.no_grad():
        outs = nano(torch.randn(2, 3, h, w))
    assert len(outs) == 4
    for i, (out, dim) in enumerate(zip(outs, (32, 64, 128, 256))):
        assert out.shape == (2, dim, h // 2**(i + 2), w // 2**(i + 2))
        assert torch.isfinite(out).all()


def test_default_output_is_last_stage_only():
    model = _build()
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    assert len(outs) == 1 and outs[0].shape == (1, 256, 2, 2)


@pytest.mark.parametrize('size', [(100, 128), (64, 48), (16, 16)])
def test_incompatible_size_is_a_clear_error(nano, size):
    with pytest.raises(ValueError, match='multiples of 32'):
        nano(torch.randn(1, 3, *size))


def test_wrong_channels_and_bad_args():
    model = _build()
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        model(torch.randn(1, 1, 64, 64))
    with pytest.raises(ValueError, match='arch must be one of'):
        _build(arch='huge')
    with pytest.raises(ValueError, match='out_indices'):
        _build(out_indices=(4, ))
    with pytest.raises(ValueError, match='divisible by its number of heads'):
        _build(arch=dict(dims=(30, 64, 128, 256), conv_depths=(1, 1, 1, 1),
                         swin_depths=(1, 1, 1, 1), num_heads=(4, 2, 4, 8),
                         window_size=4))


def test_presets():
    assert DualConvNeXtSwin.arch_zoo['xtiny'] == DualConvNeXtSwin.arch_zoo[
        'nano']
    tiny = DualConvNeXtSwin.arch_zoo['tiny']
    assert tiny['dims'] == (96, 192, 384, 768) and tiny['window_size'] == 7
    small = DualConvNeXtSwin.arch_zoo['small']
    assert small['conv_depths'] == (3, 3, 9, 3)
    assert small['swin_depths'] == (2, 2, 6, 2)


def test_micro_preset_stage_shapes_at_128():
    """'micro' (the PBC teacher) returns 48/96/192/384-channel maps at
    1/4..1/32 of a 128x128 input."""
    micro = DualConvNeXtSwin.arch_zoo['micro']
    assert micro['num_heads'] == (2, 3, 6, 12) and micro['window_size'] == 4
    model = _build(arch='micro', out_indices=(0, 1, 2, 3))
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 128, 128))
    assert [tuple(o.shape) for o in outs] == [(1, 48, 32, 32),
                                              (1, 96, 16, 16),
                                              (1, 192, 8, 8), (1, 384, 4, 4)]
    assert all(torch.isfinite(o).all() for o in outs)


def test_branches_are_timm_modules(nano):
    from timm.models.convnext import ConvNeXtStage
    from timm.models.swin_transformer import SwinTransformerStage
    assert all(isinstance(s, ConvNeXtStage) for s in nano.conv_stages)
    assert all(isinstance(s, SwinTransformerStage) for s in nano.swin_stages)


def test_fused_map_reaches_swin_tokens_position_by_position(nano):
    """The Swin input token at (h, w) must be the fused NCHW vector at
    (h, w), and the Swin output at (h, w) must arrive at the fusion block as
    the NCHW vector at (h, w); a reshape without permute breaks both."""
    seen = {}
    handles = [
        nano.fusions[0].register_forward_hook(
            lambda m, args, out: seen.__setitem__('fused0', out)),
        nano.swin_stages[1].register_forward_pre_hook(
            lambda m, args: seen.__setitem__('swin_in', args[0])),
        nano.swin_stages[1].register_forward_hook(
            lambda m, args, out: seen.__setitem__('swin_out', out)),
        nano.fusions[1].register_forward_pre_hook(
            lambda m, args: seen.__setitem__('global_in', args[1])),
    ]
    try:
        with torch.no_grad():
            nano(torch.randn(2, 3, 96, 128))
    finally:
        for h in handles:
            h.remove()
    fused, swin_in = seen['fused0'], seen['swin_in']
    b, c, h, w = fused.shape
    assert swin_in.shape == (b, h, w, c)
    for y, x in [(0, 0), (0, w - 1), (h - 1, 0), (h // 2, w // 3)]:
        assert torch.equal(swin_in[:, y, x, :], fused[:, :, y, x])
    swin_out, global_in = seen['swin_out'], seen['global_in']
    b, h2, w2, c2 = swin_out.shape
    assert global_in.shape == (b, c2, h2, w2)
    for y, x in [(0, 0), (h2 - 1, w2 - 1), (1, 2)]:
        assert torch.equal(global_in[:, :, y, x], swin_out[:, y, x, :])


def test_both_branches_get_gradients():
    model = _build()
    model.train()
    model(torch.randn(2, 3, 64, 64))[0].sum().backward()
    for part in ('conv_stages.0', 'swin_stages.0', 'patch_embed',
                 'conv_stem', 'fusions.0', 'fusions.3'):
        grads = [p.grad for n, p in model.named_parameters()
                 if n.startswith(part)]
        assert grads and all(g is not None for g in grads), part
        assert any(g.abs().sum() > 0 for g in grads), part


@pytest.mark.parametrize('enhancement', ['lite', 'amafdsg'])
def test_v2_backbone_equals_v1_backbone_at_init(tmp_path, enhancement):
    from mmengine.runner import load_checkpoint
    v1 = _build(fusion=dict(type='MHFBlock'))
    path = tmp_path / 'v1.pth'
    torch.save({'state_dict': v1.state_dict()}, path)
    torch.manual_seed(123)
    v2 = MODELS.build(
        dict(type='DualConvNeXtSwin', arch='nano',
             fusion_drop_rates=(0., 0., 0., 0.),
             fusion=dict(type='MHFBlockV2', enhancement=enhancement)))
    load_checkpoint(v2, str(path), strict=False, logger='silent')
    missing = set(v2.state_dict()) - set(v1.state_dict())
    assert missing and all('.enhancement.' in k for k in missing)
    assert set(v1.state_dict()) <= set(v2.state_dict())
    v1.eval()
    v2.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(v1(x)[0], v2(x)[0])


@pytest.mark.parametrize('name', [
    'dual_nano_linear', 'dual_nano_mhfv2_lite', 'dual_nano_mhfv2_amafdsg',
    'dual_nano_mhfv2_lite_proto'
])
def test_base_model_configs_build_and_run(name):
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))
    cfg = Config.fromfile(
        osp.join(root, 'configs', '_base_', 'models', name + '.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        preds = model(torch.randn(2, 3, 64, 64), mode='predict')
    assert len(preds) == 2 and preds[0].pred_score.shape == (8, )
