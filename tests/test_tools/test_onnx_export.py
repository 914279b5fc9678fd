# Copyright (c) medproto contributors. All rights reserved.
"""ONNX export: a tiny mmseg segmentor and a tiny mmpretrain classifier are
exported with ``tools/deployment/export_onnx.py`` and compared with
onnxruntime on generated images."""
import json
import os.path as osp
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from medproto.utils.cli import ConfigError
from medproto.utils.model_loading import (build_model_from_config,
                                          load_weights, unwrap_student)
from medproto.utils.onnx_export import (OnnxExportWrapper, detect_task,
                                        get_preprocess, preprocess_image,
                                        switch_to_deploy)

pytest.importorskip('onnxruntime')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
EXPORT_SCRIPT = osp.join(ROOT, 'tools', 'deployment', 'export_onnx.py')

SEG_CFG = """
default_scope = 'mmseg'
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[120., 110., 100.],
                           std=[60., 50., 40.], bgr_to_rgb=True,
                           size=(32, 32)),
    backbone=dict(type='UNet', in_channels=3, base_channels=4, num_stages=2,
                  strides=(1, 1), enc_num_convs=(1, 1), dec_num_convs=(1, ),
                  downsamples=(True, ), enc_dilations=(1, 1),
                  dec_dilations=(1, ), norm_cfg=dict(type='BN'),
                  upsample_cfg=dict(type='InterpConv')),
    decode_head=dict(type='FCNHead', in_channels=8, in_index=0, channels=4,
                     num_convs=1, concat_input=False, num_classes=2,
                     out_channels=1, threshold=0.5, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss',
                                      use_sigmoid=True)),
    train_cfg=dict(), test_cfg=dict(mode='whole'))
"""

# the real MAUNet student; its smallest skip needs inputs of 128 px
MAUNET_CFG = """
default_scope = 'mmseg'
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[120., 110., 100.],
                           std=[60., 50., 40.], bgr_to_rgb=True,
                           size=(128, 128)),
    backbone=dict(type='MAUNet', out_indices=(4, )),
    decode_head=dict(type='FCNHead', in_channels=8, channels=8, num_convs=0,
                     concat_input=False, num_classes=2, out_channels=1,
                     threshold=0.5, loss_decode=dict(type='CrossEntropyLoss',
                                                     use_sigmoid=True)),
    train_cfg=dict(), test_cfg=dict(mode='whole'))
"""

CLS_CFG = """
default_scope = 'mmpretrain'
# top level, as in mmpretrain configs: the Runner moves it into the model
data_preprocessor = dict(type='ClsDataPreprocessor',
                         mean=[129.304, 124.07, 112.434],
                         std=[68.17, 65.392, 70.418], to_rgb=True)
model = dict(
    type='ImageClassifier',
    backbone=dict(type='MobileNetV2', widen_factor=0.25, out_indices=(6, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=80))
"""

# MultiPrototypeHead with its MixedAttentionBlock: nn.MultiheadAttention's
# eval fast path is an op ONNX cannot export; export_onnx turns it off.
PROTO_CFG = CLS_CFG.replace(
    "head=dict(type='LinearClsHead', num_classes=3, in_channels=80))",
    "head=dict(type='MultiPrototypeHead', num_classes=3, in_channels=80, "
    "embed_dims=16, num_prototypes=2, max_prototypes=3, "
    "attention=dict(type='MixedAttentionBlock', num_heads=2)))").replace(
        "neck=dict(type='GlobalAveragePooling'),", '')


def _write(tmp_path, name: str, text: str) -> str:
    path = str(tmp_path / name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def _checkpoint(tmp_path, config: str, prefix: str = '',
                calibrate_bn: bool = False) -> str:
    """Save the randomly initialised weights of ``config``'s model.

    With ``calibrate_bn`` the BatchNorm statistics are first estimated on
    random batches, as training would: an uncalibrated deep model gives
    activations of 1e5, where float32 rounding alone exceeds the tolerance.
    """
    torch.manual_seed(0)
    model = build_model_from_config(config)
    if calibrate_bn:
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.momentum = None  # cumulative average
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(torch.randn(4, 3, 128, 128), mode='tensor')
    state = {prefix + k: v for k, v in model.state_dict().items()}
    path = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict=state, meta=dict()), path)
    return path


def _images(tmp_path, num: int = 2) -> str:
    folder = tmp_path / 'images'
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(num):
        img = rng.integers(0, 256, (40 + 8 * i, 48, 3), dtype=np.uint8)
        cv2.imwrite(str(folder / f'img{i}.png'), img)
    return str(folder)


def _export(monkeypatch, capsys, *argv: str) -> tuple:
    """Run the export tool in this process; return (exit code, stdout,
    stderr)."""
    module = runpy.run_path(EXPORT_SCRIPT, run_name='export_onnx')
    monkeypatch.setattr(sys, 'argv', [EXPORT_SCRIPT, *argv])
    try:
        code = module['main']()
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_export_segmentor_and_verify_on_images(tmp_path, monkeypatch,
                                               capsys):
    config = _write(tmp_path, 'seg.py', SEG_CFG)
    ckpt = _checkpoint(tmp_path, config)
    out = str(tmp_path / 'deploy' / 'seg.onnx')
    code, stdout, _ = _export(monkeypatch, capsys, config, ckpt, '--out', out,
                              '--shape', '32', '32', '--verify',
                              _images(tmp_path))
    assert code == 0, stdout
    assert osp.isfile(out)
    assert stdout.count('max abs diff') == 3  # two images + overall
    assert 'OK' in stdout

    import onnxruntime as ort
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    probs = session.run(None, {'input': np.zeros((3, 3, 32, 32),
                                                 np.float32)})[0]
    assert probs.shape == (3, 1, 32, 32)  # dynamic batch, full resolution
    assert probs.min() >= 0 and probs.max() <= 1
    meta = json.load(open(osp.join(tmp_path, 'deploy', 'seg.json')))
    assert meta['task'] == 'seg'
    assert meta['input']['mean'] == [120., 110., 100.]
    assert meta['input']['to_rgb'] is True


def test_export_maunet_fuses_its_backbone(tmp_path, monkeypatch, capsys):
    from mmseg.registry import MODELS
    if MODELS.get('MAUNet') is None:
        pytest.skip('MAUNet is not registered')
    config = _write(tmp_path, 'maunet.py', MAUNET_CFG)
    ckpt = _checkpoint(tmp_path, config, calibrate_bn=True)
    out = str(tmp_path / 'maunet.onnx')
    code, stdout, stderr = _export(monkeypatch, capsys, config, ckpt, '--out',
                                   out, '--shape', '128', '128', '--verify',
                                   _images(tmp_path))
    assert code == 0, stdout + stderr
    assert 'called backbone.switch_to_deploy()' in stdout
    import onnxruntime as ort
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    probs = session.run(None, {'input': np.zeros((1, 3, 128, 128),
                                                 np.float32)})[0]
    assert probs.shape == (1, 1, 128, 128)


def test_export_classifier_random_input(tmp_path, monkeypatch, capsys):
    config = _write(tmp_path, 'cls.py', CLS_CFG)
    ckpt = _checkpoint(tmp_path, config)
    out = str(tmp_path / 'cls.onnx')
    code, stdout, _ = _export(monkeypatch, capsys, config, ckpt, '--out', out,
                              '--shape', '32', '32')
    assert code == 0, stdout
    assert 'random batch of 2' in stdout
    import onnxruntime as ort
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    scores = session.run(None, {'input': np.ones((2, 3, 32, 32),
                                                 np.float32)})[0]
    assert scores.shape == (2, 3)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-5)


def test_export_prototype_head_with_attention(tmp_path, monkeypatch,
                                              capsys):
    assert 'MultiPrototypeHead' in PROTO_CFG
    config = _write(tmp_path, 'proto.py', PROTO_CFG)
    ckpt = _checkpoint(tmp_path, config)
    out = str(tmp_path / 'proto.onnx')
    code, stdout, _ = _export(monkeypatch, capsys, config, ckpt, '--out', out,
                              '--shape', '64', '64')
    assert code == 0, stdout
    assert ': OK' in stdout
    assert torch.backends.mha.get_fastpath_enabled()  # restored


def test_export_fails_above_tolerance(tmp_path, monkeypatch, capsys):
    config = _write(tmp_path, 'cls.py', CLS_CFG)
    ckpt = _checkpoint(tmp_path, config)
    code, stdout, _ = _export(monkeypatch, capsys, config, ckpt, '--out',
                              str(tmp_path / 'cls.onnx'), '--shape', '32',
                              '32', '--tolerance', '-1')
    assert code == 1
    assert 'FAILED' in stdout


def test_export_rejects_mismatching_checkpoint(tmp_path, monkeypatch, capsys):
    config = _write(tmp_path, 'cls.py', CLS_CFG)
    ckpt = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict=dict(w=torch.zeros(1))), ckpt)
    code, _, stderr = _export(monkeypatch, capsys, config, ckpt, '--out',
                              str(tmp_path / 'cls.onnx'))
    assert code == 1
    assert 'does not match the model' in stderr and 'other.pth' in stderr


def test_load_weights_takes_student_of_distiller_checkpoint(tmp_path):
    config = _write(tmp_path, 'cls.py', CLS_CFG)
    ckpt = _checkpoint(tmp_path, config, prefix='student.')
    model = build_model_from_config(config)
    torch.nn.init.zeros_(model.head.fc.weight)
    load_weights(model, ckpt)
    assert model.head.fc.weight.abs().sum() > 0


def test_preprocess_matches_data_preprocessor(tmp_path):
    config = _write(tmp_path, 'seg.py', SEG_CFG)
    model = build_model_from_config(config)
    preprocess = get_preprocess(model)
    assert preprocess.to_rgb and preprocess.std == [60., 50., 40.]
    path = osp.join(_images(tmp_path, 1), 'img0.png')
    ours = preprocess_image(path, (32, 32), preprocess)
    img = cv2.resize(cv2.imread(path), (32, 32)).transpose(2, 0, 1).copy()
    data = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(img)], data_samples=None))
    np.testing.assert_allclose(ours, data['inputs'].numpy(), atol=1e-5)


def test_top_level_data_preprocessor_goes_into_the_model(tmp_path):
    model = build_model_from_config(_write(tmp_path, 'cls.py', CLS_CFG))
    preprocess = get_preprocess(model)
    assert preprocess.mean == [129.304, 124.07, 112.434]
    assert preprocess.std == [68.17, 65.392, 70.418] and preprocess.to_rgb


class _Block(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.deployed = 0

    def switch_to_deploy(self) -> None:
        self.deployed += 1


class _Parent(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.block = _Block()

    def fuse(self) -> None:
        self.block.switch_to_deploy()


def test_switch_to_deploy_calls_each_branch_once():
    model = nn.Sequential(_Block(), nn.Sequential(_Parent()), nn.ReLU())
    called = switch_to_deploy(model)
    assert called == ['0.switch_to_deploy', '1.0.fuse']
    assert model[0].deployed == 1 and model[1][0].block.deployed == 1


def test_unwrap_student_and_detect_task():
    student = nn.Module()
    student.decode_head = nn.Identity()
    wrapper = nn.Module()
    wrapper.student = student
    assert unwrap_student(wrapper) is student
    assert unwrap_student(student) is student
    assert detect_task(student) == 'seg'
    with pytest.raises(ConfigError, match='neither'):
        detect_task(nn.Linear(2, 2))
    with pytest.raises(ValueError, match='task'):
        OnnxExportWrapper(student, 'det')
