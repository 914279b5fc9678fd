# Copyright (c) medproto contributors. All rights reserved.
"""Argument checks and small behaviours of the tools, run in-process
without training or timing anything."""
import importlib.util
import os.path as osp
import re
import sys

import cv2
import numpy as np
import pytest
import torch

import medproto  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'tests', 'data', 'configs')


def load_tool(path):
    name = osp.splitext(osp.basename(path))[0] + '_tool'
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('shape', [['96', '96'], ['256', '64']])
def test_benchmark_seg_rejects_shapes_below_128(shape, capsys):
    tool = load_tool('analysis_tools/benchmark_seg.py')
    with pytest.raises(SystemExit) as exit_info:
        tool.parse_args(['--shape', *shape])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert 'reflect padding needs >= 128' in err
    assert 'Traceback' not in err
    assert tool.parse_args(['--shape', '128', '160']).shape == [128, 160]


@pytest.mark.parametrize('size', ['96', '144'])
def test_benchmark_kd_step_rejects_bad_sizes(size, capsys):
    tool = load_tool('benchmarks/benchmark_kd_step.py')
    with pytest.raises(SystemExit) as exit_info:
        tool.parse_args(['--size', size])
    assert exit_info.value.code == 2
    assert 'reflect padding needs >= 128' in capsys.readouterr().err
    assert tool.parse_args(['--size', '128']).size == 128


def run_train(monkeypatch, *args):
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.delenv('MEDPROTO_DEBUG', raising=False)
    monkeypatch.setattr(sys, 'argv', ['train.py', *args])
    with pytest.raises(SystemExit) as exit_info:
        load_tool('train.py').main()
    return exit_info.value.code


def test_train_amp_without_cuda_is_one_sentence(monkeypatch, capsys,
                                                tmp_path):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    code = run_train(monkeypatch, osp.join(CONFIGS, 'cls_tiny.py'), '--amp',
                     '--work-dir', str(tmp_path))
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith('error: --amp (mixed precision) needs a CUDA GPU')
    assert 'Traceback' not in err and len(err.strip().splitlines()) == 1


def test_train_amp_with_other_optim_wrapper_is_one_sentence(
        monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    code = run_train(monkeypatch, osp.join(CONFIGS, 'cls_tiny.py'), '--amp',
                     '--work-dir', str(tmp_path), '--cfg-options',
                     'optim_wrapper.type=OptimWrapperDict')
    assert code == 1
    assert 'error: --amp needs optim_wrapper.type' in capsys.readouterr().err


@pytest.mark.parametrize('mask_ext', ['.png', '.jpg'])
def test_resize_seg_dataset_writes_masks_without_warnings(
        mask_ext, monkeypatch, capfd, tmp_path):
    src = osp.join(REPO, 'tests', 'data', 'kvasir_seg')
    monkeypatch.setattr(sys, 'argv', [
        'resize_seg_dataset.py', src,
        str(tmp_path), '--size', '32', '48', '--mask-ext', mask_ext
    ])
    load_tool('misc/resize_seg_dataset.py').main()
    out, err = capfd.readouterr()
    assert 'unsupported key' not in out + err
    masks = sorted((tmp_path / 'masks').iterdir())
    assert len(masks) == 6 and all(m.suffix == mask_ext for m in masks)
    mask = cv2.imread(str(masks[0]), cv2.IMREAD_GRAYSCALE)
    assert mask.shape == (32, 48)
    if mask_ext == '.png':
        assert set(np.unique(mask)) <= {0, 255}


@pytest.mark.parametrize('path', [
    'misc/resize_seg_dataset.py', 'benchmarks/collect_kvasir_results.py'
])
def test_descriptions_are_full_sentences(path, monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', [osp.basename(path), '-h'])
    with pytest.raises(SystemExit):
        load_tool(path).main()
    text = ' '.join(capsys.readouterr().out.split())
    description = text.split('positional arguments')[0]
    assert re.search(r'\w\.$', description.strip()), description


@pytest.mark.parametrize('path', [
    'analysis_tools/efficiency.py', 'analysis_tools/plot_curves.py',
    'analysis_tools/confusion_matrix.py'
])
def test_docstring_examples_name_existing_configs(path):
    doc = load_tool(path).__doc__
    names = re.findall(r'configs/[\w/]+\.py', doc)
    assert names
    for name in names:
        assert osp.isfile(osp.join(REPO, name)), name
