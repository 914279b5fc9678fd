# Copyright (c) medproto contributors. All rights reserved.
import math
import os.path as osp

import medproto  # noqa: F401
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from medproto.models.backbones import MALUNet
from medproto.models.layers import InvertedExternalAttention
from medproto.utils.efficiency import count_params

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))
C_LIST = (8, 16, 24, 32, 48, 64)


@pytest.mark.parametrize('h,w', [(256, 256), (64, 96)])
def test_decoder_outputs_and_hooked_features(h, w, record):
    model = MALUNet().eval()
    names = [f'encoder{i}' for i in range(1, 7)] + \
        [f'decoder{i}' for i in range(1, 6)]
    feats = record(model, names)
    with torch.no_grad():
        outs = model(torch.randn(2, 3, h, w))
    # decoder1 .. decoder5: c4 @ H/32 ... c0 @ H/2; the last is the head input
    expected = [(2, C_LIST[4 - j], h // 2**(5 - j), w // 2**(5 - j))
                for j in range(5)]
    assert [tuple(o.shape) for o in outs] == expected
    for i in range(5):  # pre-bridge skips t1..t5
        stride = 2**(i + 1)
        assert feats[f'encoder{i + 1}'].shape == (2, C_LIST[i], h // stride,
                                                  w // stride)
        assert torch.equal(feats[f'decoder{i + 1}'], outs[i])
    assert feats['encoder6'].shape == (2, 64, h // 32, w // 32)


def test_bridge_changes_the_skips_it_receives(record):
    model = MALUNet().eval()
    feats = record(model, ['encoder1', 'bridge'])
    with torch.no_grad():
        model(torch.randn(1, 3, 64, 64))
    assert feats['bridge'][0].shape == feats['encoder1'].shape
    assert not torch.allclose(feats['bridge'][0], feats['encoder1'])


def test_out_indices_select_decoder_outputs():
    model = MALUNet(out_indices=(4, )).eval()
    outs = model(torch.randn(1, 3, 64, 64))
    assert len(outs) == 1 and outs[0].shape == (1, 8, 32, 32)


@pytest.mark.parametrize('kwargs,match', [
    (dict(c_list=(8, 16, 24, 32, 48)), 'c_list'),
    (dict(c_list=(8, 16, 24, 30, 48, 64)), 'divisible by 4'),
    (dict(out_indices=(5, )), 'out_indices'),
    (dict(out_indices=(1, 1)), 'out_indices'),
    (dict(split_att='mlp'), 'split_att'),
    (dict(in_channels=0), 'in_channels'),
])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MALUNet(**kwargs)


def test_input_size_must_be_a_multiple_of_32():
    model = MALUNet()
    with pytest.raises(ValueError, match='multiples of 32'):
        model(torch.randn(1, 3, 100, 100))
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        model(torch.randn(1, 1, 64, 64))


def test_parameter_count_matches_the_public_model():
    # 177,943 with the 1-class classifier (public count; the two IEA
    # memories of each block are counted separately there as well).
    model = MALUNet()
    assert count_params(model) == 177_934
    assert count_params(MALUNet(bridge=False)) == 177_934 - 16_614
    assert count_params(MALUNet(split_att='conv')) == 177_934


def test_iea_memories_start_tied_and_stay_independent():
    model = MALUNet()
    blocks = [m for m in model.modules()
              if isinstance(m, InvertedExternalAttention)]
    assert len(blocks) == 6
    for block in blocks:
        key, value = block.memory_key.weight, block.memory_value.weight
        assert torch.equal(key, value.permute(1, 0, 2))
        assert key.data_ptr() != value.data_ptr()
        # std of the public code's winning init, sqrt(2 / C)
        assert value.std().item() == pytest.approx(
            math.sqrt(2. / block.channels), rel=0.3)
    # a device / dtype move keeps both (the public view-tie breaks there)
    double = MALUNet().double()
    block = double.encoder4.block[0]
    assert torch.equal(block.memory_key.weight,
                       block.memory_value.weight.permute(1, 0, 2))


def test_malunet_init_rule():
    model = MALUNet()
    dw = model.encoder4.block[1].gau.value.dw  # depthwise 5x5, 24 channels
    assert dw.weight.std().item() == pytest.approx(math.sqrt(2 / 25),
                                                   rel=0.25)
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and \
                m.bias is not None:
            assert torch.all(m.bias == 0)
    # init_weights() re-draws with the same rule and keeps the tie
    model.init_weights()
    block = model.encoder5.block[0]
    assert torch.equal(block.memory_key.weight,
                       block.memory_value.weight.permute(1, 0, 2))


def test_macs_match_the_paper():
    from mmengine.analysis import FlopAnalyzer
    model = MALUNet().eval()
    analyzer = FlopAnalyzer(model, (torch.randn(1, 3, 256, 256), ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.tracer_warnings('none')
    by_op = analyzer.by_operator()
    # convolutions (and the IEA Conv1d memories) only, as the paper counts:
    # 0.0827 G (+ 8 * 128^2 = 0.00013 G for the head's 1x1 conv)
    assert by_op['conv'] / 1e9 == pytest.approx(0.0826, abs=0.0005)


def _seg_batch(n, size):
    inputs = torch.randint(0, 256, (n, 3, size, size)).float()
    samples = []
    for _ in range(n):
        s = SegDataSample(metainfo=dict(img_shape=(size, size),
                                        pad_shape=(size, size),
                                        ori_shape=(size, size)))
        s.gt_sem_seg = PixelData(data=(torch.rand(1, size, size) > .5).long())
        samples.append(s)
    return inputs, samples


def test_base_config_builds_a_segmentor_that_trains_and_predicts():
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/models/malunet.py'))
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    assert count_params(model) == 177_943
    inputs, samples = _seg_batch(2, 64)
    data = model.data_preprocessor(dict(inputs=list(inputs),
                                        data_samples=samples), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) >= {'decode.loss_bce_dice', 'decode.acc_seg'}
    losses['decode.loss_bce_dice'].backward()
    assert model.backbone.encoder1.block.weight.grad is not None
    model.eval()
    with torch.no_grad():
        results = model.predict(data['inputs'], data['data_samples'])
    for result in results:
        prob = result.seg_logits.data
        pred = result.pred_sem_seg.data
        assert prob.shape == pred.shape == (1, 64, 64)
        assert set(pred.unique().tolist()) <= {0., 1.}
        assert torch.equal(pred, (prob > 0.5).to(pred))
