# Copyright (c) medproto contributors. All rights reserved.
"""End-to-end: a tiny MAUNet and a curriculum-KD run on the shipped
Kvasir-SEG sample through tools/train.py and tools/test.py: train, save,
resume (weights-only, torch >= 2.6), evaluate, distil, export."""
import glob
import json
import os.path as osp

import pytest
import torch

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module')
def teacher(tmp_path_factory, configs_dir, tool):
    work = tmp_path_factory.mktemp('seg_teacher')
    tool('train.py', osp.join(configs_dir, 'seg_tiny_teacher.py'),
         '--work-dir', str(work))
    return work


def _metrics(work):
    files = sorted(glob.glob(osp.join(work, '*', '*.json')))
    assert files, f'no metrics json under {work}'
    with open(files[-1]) as f:
        return json.load(f)


def test_train_resume_test_student(tool, tmp_path, configs_dir):
    cfg = osp.join(configs_dir, 'seg_tiny.py')
    tool('train.py', cfg, '--work-dir', str(tmp_path / 'run'),
         '--cfg-options', 'train_cfg.max_iters=2')
    ckpt = tmp_path / 'run' / 'iter_2.pth'
    assert torch.load(ckpt, weights_only=True)['meta']['iter'] == 2
    out = tool('train.py', cfg, '--work-dir', str(tmp_path / 'run'),
               '--resume', str(ckpt))
    assert 'resumed epoch: 0, iter: 2' in out.stdout + out.stderr
    assert osp.isfile(tmp_path / 'run' / 'iter_4.pth')
    tool('test.py', cfg, str(tmp_path / 'run' / 'iter_4.pth'), '--work-dir',
         str(tmp_path / 'test'), '--show-dir', str(tmp_path / 'vis'))
    metrics = _metrics(tmp_path / 'test')
    for key in ('Dice', 'IoU', 'mIoU', 'Accuracy', 'Sensitivity',
                'Specificity', 'mDice_per_image'):
        assert 0.0 <= metrics[key] <= 100.0, key
    assert glob.glob(str(tmp_path / 'test' / '**' / '*.png'),
                     recursive=True) or glob.glob(
                         str(tmp_path / '**' / 'vis' / '**' / '*.png'),
                         recursive=True)


def test_curriculum_kd_train_and_test(teacher, tool, tmp_path, configs_dir):
    cfg = osp.join(configs_dir, 'seg_tiny_kd.py')
    pattern = osp.join(teacher, 'best_Dice_iter_*.pth')
    out = tool('train.py', cfg, '--work-dir', str(tmp_path / 'kd'),
               '--cfg-options', f'model.teacher_ckpt={pattern}',
               'train_cfg.max_iters=5', 'train_cfg.val_interval=5')
    log = out.stdout + out.stderr
    # imitation for floor(0.6 * 5) = 3 iterations, then preference
    assert 'loss_kd' in log and 'loss_feat' in log
    assert 'loss_nce' in log and 'loss_l2' in log
    ckpt = glob.glob(str(tmp_path / 'kd' / 'best_Dice_iter_*.pth'))[0]
    tool('test.py', cfg, ckpt, '--work-dir', str(tmp_path / 'kd_test'))
    assert 'Dice' in _metrics(tmp_path / 'kd_test')
    student = tmp_path / 'student.pth'
    tool('misc/export_student.py', cfg, ckpt, str(student))
    tool('test.py', osp.join(configs_dir, 'seg_tiny.py'), str(student),
         '--work-dir', str(tmp_path / 'student_test'))
    assert _metrics(tmp_path / 'student_test')['Dice'] == pytest.approx(
        _metrics(tmp_path / 'kd_test')['Dice'])


def test_missing_teacher_checkpoint_is_one_sentence(tool, tmp_path,
                                                    configs_dir):
    out = tool('train.py', osp.join(configs_dir, 'seg_tiny_kd.py'),
               '--work-dir', str(tmp_path), '--cfg-options',
               'model.teacher_ckpt=/nowhere/teacher_*.pth', expect_ok=False)
    assert out.returncode == 1
    assert "no file matches '/nowhere/teacher_*.pth'" in out.stderr
    assert 'model.teacher_ckpt' in out.stderr
    assert 'Traceback' not in out.stderr
