# Copyright (c) medproto contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import pytest
import torch
from torch import nn

import medproto  # noqa: F401
from medproto.utils.efficiency import (count_flops, count_params,
                                       measure_latency)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name):
    path = osp.join(REPO, 'tools', 'analysis_tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'{name}_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_net():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8),
                         nn.ReLU(), nn.Conv2d(8, 4, 3, stride=2, padding=1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 2))


def test_count_params_matches_layer_formula():
    net = tiny_net()
    expected = (3 * 8 * 9 + 8) + 2 * 8 + (8 * 4 * 9 + 4) + (4 * 2 + 2)
    assert count_params(net) == expected
    for p in net[0].parameters():
        p.requires_grad_(False)
    assert count_params(net, trainable_only=True) == expected - 224


def test_count_flops_counts_macs_of_convs_and_linear():
    h = w = 16
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                        nn.Conv2d(8, 4, 3, stride=2, padding=1), nn.Flatten(),
                        nn.Linear(4 * 8 * 8, 2)).train()
    conv1 = 3 * 8 * 9 * h * w  # one MAC per weight per output pixel
    conv2 = 8 * 4 * 9 * (h // 2) * (w // 2)
    linear = 4 * 8 * 8 * 2
    assert count_flops(net, (3, h, w)) == conv1 + conv2 + linear
    assert net.training  # mode restored
    with pytest.raises(ValueError, match='input_shape'):
        count_flops(net, (16, 16))


def test_measure_latency_reports_medians_under_inference_mode():
    seen = []

    class Probe(nn.Module):

        def forward(self, x):
            seen.append((torch.is_inference_mode_enabled(), x.shape[0]))
            return x * 2

    probe = Probe().train()
    result = measure_latency(probe, (3, 4, 4),
                             batch_sizes=(1, 3),
                             warmup=2,
                             iters=5)
    assert set(result) == {1, 3}
    assert len(seen) == 2 * (2 + 5) and all(mode for mode, _ in seen)
    assert [b for _, b in seen].count(3) == 7
    for batch_size, timing in result.items():
        assert 0 <= timing['median_ms'] <= timing['p90_ms']
        assert timing['per_image_ms'] == pytest.approx(timing['median_ms'] /
                                                       batch_size)
    assert probe.training


@pytest.mark.parametrize('kwargs, name', [
    (dict(batch_sizes=(0, )), 'batch_sizes'),
    (dict(iters=0), 'iters'),
    (dict(warmup=-1), 'warmup'),
])
def test_measure_latency_rejects_bad_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        measure_latency(nn.Identity(), (3, 4, 4), **kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU-only box')
def test_measure_latency_cuda_without_gpu_raises():
    with pytest.raises(ValueError, match='device'):
        measure_latency(nn.Identity(), (3, 4, 4), device='cuda')


CONFIG = """
default_scope = 'mmpretrain'
classifier = dict(type='ImageClassifier',
                  backbone=dict(type='LeNet5', num_classes=-1))
model = {model}
"""


@pytest.mark.parametrize(
    'model',
    [
        'classifier',
        # a distiller config: only the student is built (the teacher and its
        # checkpoint are never touched, so the distiller type need not exist)
        "dict(type='medproto.NotBuilt', student=classifier, "
        "teacher=dict(type='Missing'), teacher_ckpt='missing.pth')",
    ])
def test_efficiency_tool_writes_report(tmp_path, model):
    tool = load_tool('efficiency')
    config = tmp_path / 'cfg.py'
    config.write_text(CONFIG.format(model=model))
    out = tmp_path / 'report.json'
    tool.main([
        str(config), '--shape', '32', '32', '--in-channels', '1',
        '--batch-sizes', '1', '2', '--warmup', '0', '--iters', '2', '--out',
        str(out)
    ])
    report = json.loads(out.read_text())
    lenet_params = (1 * 6 * 25 + 6) + (6 * 16 * 25 + 16) + (16 * 120 * 25 +
                                                            120)
    lenet_convs = 6 * 25 * 28 * 28 + 6 * 16 * 25 * 10 * 10 + 16 * 120 * 25
    assert report['model'] == 'ImageClassifier'
    assert report['params'] == lenet_params
    assert lenet_convs <= report['macs'] <= 1.1 * lenet_convs
    assert set(report['latency']) == {'1', '2'}


def test_efficiency_tool_threads(tmp_path, capsys):
    tool = load_tool('efficiency')
    config = tmp_path / 'cfg.py'
    config.write_text(CONFIG.format(model='classifier'))
    before = torch.get_num_threads()
    args = [
        str(config), '--shape', '32', '32', '--in-channels', '1',
        '--batch-sizes', '1', '--warmup', '0', '--iters', '1'
    ]
    try:
        assert tool.main(args + ['--threads', '1'])['threads'] == 1
    finally:
        torch.set_num_threads(before)
    assert tool.parse_args(args).threads is None  # PyTorch's default kept
    with pytest.raises(SystemExit):
        tool.parse_args(args + ['--threads', '0'])
    assert '--threads must be positive' in capsys.readouterr().err
