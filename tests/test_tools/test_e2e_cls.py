# Copyright (c) medproto contributors. All rights reserved.
"""End-to-end: train, resume, test, distil, export and DDP for a tiny
classifier on the shipped PBC sample, through tools/train.py and
tools/test.py."""
import glob
import os.path as osp
import pickle

import pytest
import torch

pytestmark = pytest.mark.e2e


def test_train_writes_weights_only_checkpoints(cls_trained):
    _, work = cls_trained
    ckpt = osp.join(work, 'epoch_2.pth')
    assert osp.isfile(ckpt)
    state = torch.load(ckpt, weights_only=True)
    assert state['meta']['epoch'] == 2
    assert not glob.glob(osp.join(work, '.*.tmp'))


def test_resume_continues_from_checkpoint(cls_trained, tool, tmp_path):
    cfg, work = cls_trained
    out = tool('train.py', cfg, '--work-dir', str(work), '--resume',
               '--cfg-options', 'train_cfg.max_epochs=3')
    log = out.stdout + out.stderr
    assert 'resumed epoch: 2' in log
    assert osp.isfile(osp.join(work, 'epoch_3.pth'))


def test_test_tool_reports_metrics_and_dumps(cls_trained, tool, tmp_path):
    cfg, work = cls_trained
    dump = tmp_path / 'preds.pkl'
    out = tool('test.py', cfg, osp.join(work, 'epoch_2.pth'), '--work-dir',
               str(tmp_path), '--out', str(dump), '--show-dir',
               str(tmp_path / 'vis'))
    log = out.stdout + out.stderr
    assert 'top1' in log and 'macro_f1' in log
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 18 and 'pred_score' in preds[0]
    # 64x64 inputs: pictures enlarged to 256 px with a label strip below
    import cv2
    pictures = glob.glob(str(tmp_path / 'vis' / '*.png'))
    assert len(pictures) == 18
    picture = cv2.imread(pictures[0])
    assert picture.shape[1] == 256 and picture.shape[0] > 256


def test_kd_train_test_and_export_student(cls_trained, tool, tmp_path,
                                          configs_dir):
    cfg, work = cls_trained
    kd_cfg = osp.join(configs_dir, 'cls_tiny_kd.py')
    teacher = osp.join(work, 'epoch_2.pth')
    kd_work = tmp_path / 'kd'
    tool('train.py', kd_cfg, '--work-dir', str(kd_work), '--cfg-options',
         f'model.teacher_ckpt={teacher}', 'train_cfg.max_epochs=1')
    kd_ckpt = osp.join(kd_work, 'epoch_1.pth')
    out = tool('test.py', kd_cfg, kd_ckpt, '--work-dir', str(tmp_path))
    assert 'top1' in out.stdout + out.stderr
    student = tmp_path / 'student.pth'
    tool('misc/export_student.py', kd_cfg, kd_ckpt, str(student))
    keys = torch.load(student, weights_only=True)['state_dict'].keys()
    assert keys and not any(k.startswith(('student.', 'teacher.'))
                            for k in keys)
    out = tool('test.py', cfg, str(student), '--work-dir', str(tmp_path))
    assert 'top1' in out.stdout + out.stderr


_RECORDER = """
import json
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankLossRecorder(Hook):
    \"\"\"Write this rank's ``loss`` output ('local', before
    RankMeanLossHook) or the value the log gets ('logged', after it).\"\"\"

    def __init__(self, stage):  # the runner sets the cfg's priority
        self.stage = stage

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if self.stage == 'local':
            value = float(outputs['loss'])
        else:
            value = float(runner.message_hub.get_scalar('train/loss')
                          .current())
        path = osp.join(runner.work_dir,
                        f'{self.stage}_rank{get_rank()}.txt')
        with open(path, 'a') as f:
            f.write(f'{runner.iter} {value!r}\\n')
"""


def _recorded(work, name):
    with open(osp.join(work, name)) as f:
        return dict((int(a), float(b)) for a, b in
                    (line.split() for line in f))


def test_ddp_two_processes_gloo(tool, tmp_path, configs_dir, monkeypatch):
    """2 gloo processes on CPU through tools/train.py: the console says
    how the run is distributed and shows one copy of everything, and the
    logged loss is the mean of the two ranks' losses (RankMeanLossHook)."""
    from mmengine.config import Config
    base = osp.join(configs_dir, 'cls_tiny.py')
    hooks = Config.fromfile(base).custom_hooks
    (tmp_path / 'rank_loss_recorder.py').write_text(_RECORDER)
    hooks = ([dict(type='RankLossRecorder', stage='local',
                   priority='HIGHEST')] + list(hooks)
             + [dict(type='RankLossRecorder', stage='logged',
                     priority='LOW')])
    cfg = tmp_path / 'cls_tiny_ddp.py'
    cfg.write_text(
        f'_base_ = [{base!r}]\n'
        f"custom_imports = dict(imports=['medproto', 'rank_loss_recorder'],"
        f' allow_failed_imports=False)\n'
        f'custom_hooks = {[dict(h) for h in hooks]!r}\n')
    monkeypatch.setenv('PYTHONPATH', str(tmp_path))
    work = tmp_path / 'work'
    out = tool('train.py', str(cfg), '--work-dir', str(work), '--launcher',
               'pytorch', '--cfg-options', 'train_cfg.max_epochs=1',
               torchrun=2)
    assert ('distributed: 2 processes (launcher pytorch, backend gloo); '
            'console and log file of rank 0, training batch 4 per process '
            '(8 per step)') in out.stdout
    assert out.stdout.count('done: ') == 1
    assert out.stderr.count('checking train_dataloader files') == 1
    assert out.stdout.count('train [') == 2  # 1/2 and 2/2, of rank 0 only
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    local = [_recorded(work, f'local_rank{r}.txt') for r in (0, 1)]
    logged = [_recorded(work, f'logged_rank{r}.txt') for r in (0, 1)]
    assert sorted(local[0]) == sorted(local[1]) == [0, 1]
    assert any(local[0][i] != local[1][i] for i in local[0])  # can fail
    for i in local[0]:
        mean = (local[0][i] + local[1][i]) / 2
        assert logged[0][i] == pytest.approx(mean, rel=1e-6)
        assert logged[1][i] == logged[0][i]


def test_plain_errors(tool, tmp_path, configs_dir):
    cfg = osp.join(configs_dir, 'cls_tiny.py')
    out = tool('train.py', str(tmp_path / 'nope.py'), expect_ok=False)
    assert out.returncode == 1 and 'config file not found' in out.stderr
    out = tool('train.py', cfg, '--cfg-options', 'model.head.type=NoSuchHead',
               '--work-dir', str(tmp_path), expect_ok=False)
    assert out.returncode == 1
    assert "unknown type 'NoSuchHead'" in out.stderr
    assert 'Traceback' not in out.stderr
    out = tool('train.py', cfg, '--work-dir', str(tmp_path), '--cfg-options',
               'train_dataloader.dataset.data_root=/no/such/dir',
               expect_ok=False)
    assert out.returncode == 1 and '/no/such/dir' in out.stderr
    assert 'train_dataloader.dataset.data_root' in out.stderr
    out = tool('test.py', cfg, str(tmp_path / 'missing.pth'),
               expect_ok=False)
    assert out.returncode == 1 and 'missing.pth' in out.stderr
