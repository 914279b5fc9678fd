# Copyright (c) medproto contributors. All rights reserved.
"""Issue 17 through the real tools: a diverging run stops, resume is exact
and fast, interrupted writes and validations are recovered, bad input ends
in one line."""
import os
import os.path as osp
import shutil

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG = osp.join(ROOT, 'tests', 'data', 'configs', 'seg_tiny.py')
KVASIR = osp.join(ROOT, 'tests', 'data', 'kvasir_seg')


def _weights(path):
    return torch.load(path, weights_only=True)['state_dict']


def _same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    return all(torch.equal(wa[k], wb[k]) for k in wa)


def _log(work):
    """The text of a work dir's log files (the console may show a
    progress bar only)."""
    import glob
    return ''.join(open(f).read() for f in
                   glob.glob(osp.join(str(work), '*', '*.log')))


def _error_line(out):
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith('error: '), out.stderr[-3000:]
    return lines[-1]


@pytest.fixture(scope='module')
def seg_run(tmp_path_factory, tool):
    """seg_tiny for 4 iterations, a checkpoint every 2 (val at 4)."""
    work = tmp_path_factory.mktemp('seg_run')
    tool('train.py', SEG, '--work-dir', str(work), '--cfg-options',
         'default_hooks.checkpoint.max_keep_ckpts=3')
    return work


def test_a_diverging_run_stops(tmp_path, tool):
    out = tool('train.py', SEG, '--work-dir', str(tmp_path), '--cfg-options',
               'optim_wrapper.optimizer.lr=1e12',
               'default_hooks.checkpoint.interval=1', expect_ok=False)
    assert out.returncode == 1
    line = _error_line(out)
    assert line.startswith('error: non-finite loss at iteration 2: '
                           'decode.loss_bce_dice=nan'), line
    assert not [f for f in os.listdir(tmp_path) if f.startswith('best_')]
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth')) == [
        'iter_1.pth']
    last = open(tmp_path / 'last_checkpoint').read().strip()
    assert last == str(tmp_path / 'iter_1.pth')
    assert all(torch.isfinite(v).all() for v in _weights(last).values()
               if v.is_floating_point())


def test_resume_skips_by_index_and_is_exact(tmp_path, tool, seg_run):
    """Resumed at 2 of 4 (random flips in the pipeline): the same weights,
    nothing replayed; a stale temporary is removed; files get 0644."""
    stale = tmp_path / '.iter_4.pth.x1y2.tmp'
    stale.write_bytes(b'partial')
    out = tool('train.py', SEG, '--work-dir', str(tmp_path), '--resume',
               str(seg_run / 'iter_2.pth'))
    log = _log(tmp_path)
    assert 'the sampler starts at sample 4 (nothing replayed)' in log
    assert 'Advance dataloader' not in log
    assert not stale.exists()
    assert _same_weights(seg_run / 'iter_4.pth', tmp_path / 'iter_4.pth')
    umask = os.umask(0)
    os.umask(umask)
    for name in ('iter_4.pth', 'last_checkpoint'):
        assert os.stat(tmp_path / name).st_mode & 0o777 == 0o666 & ~umask


def test_resume_at_the_end_finishes_the_last_validation(tmp_path, tool,
                                                        seg_run):
    """A kill during the last validation: iter_4.pth exists, no best file."""
    shutil.copy(seg_run / 'iter_4.pth', tmp_path / 'iter_4.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    tool('train.py', SEG, '--work-dir', str(tmp_path), '--resume')
    assert 'running its validation first' in _log(tmp_path)
    assert osp.isfile(tmp_path / 'best_Dice_iter_4.pth')
    assert _same_weights(seg_run / 'best_Dice_iter_4.pth',
                         tmp_path / 'best_Dice_iter_4.pth')


@pytest.mark.parametrize('content', ['', 'MISSING'])
def test_empty_or_dangling_last_checkpoint(tmp_path, tool, content):
    (tmp_path / 'iter_2.pth').write_bytes(b'')
    target = str(tmp_path / 'iter_9.pth') if content else ''
    (tmp_path / 'last_checkpoint').write_text(target)
    out = tool('train.py', SEG, '--work-dir', str(tmp_path), '--resume',
               expect_ok=False)
    line = _error_line(out)
    assert str(tmp_path / 'last_checkpoint') in line
    assert ('is empty' if not content else 'which does not exist') in line
    assert f'--resume {tmp_path / "iter_2.pth"}' in line


def test_text_file_as_checkpoint(tmp_path, tool):
    notes = tmp_path / 'notes.pth'
    notes.write_text('learning rate 1e-3, 3000 iterations\n')
    out = tool('test.py', SEG, str(notes), '--work-dir', str(tmp_path / 'w'),
               expect_ok=False)
    assert f'{notes} is not a checkpoint' in _error_line(out)


def test_cfg_options_are_checked_first(tmp_path, tool):
    out = tool('train.py', SEG, '--work-dir', str(tmp_path), '--cfg-options',
               'max_iters=2', 'default_hooks.checkpoint.intervall=1',
               expect_ok=False)
    assert "did you mean 'default_hooks.checkpoint.interval'" in \
        _error_line(out)
    assert "warning: --cfg-options max_iters: 'max_iters' is a variable" in \
        out.stderr
    assert 'train_cfg.max_iters=...' in out.stderr
    assert not os.listdir(tmp_path)  # nothing built or written


def test_test_keeps_the_training_config(tmp_path, tool, seg_run):
    shutil.copy(seg_run / 'iter_4.pth', tmp_path / 'iter_4.pth')
    saved = tmp_path / 'seg_tiny.py'
    saved.write_text('# the training run\n')
    tool('test.py', SEG, str(tmp_path / 'iter_4.pth'), '--cfg-options',
         f'work_dir={tmp_path}')
    assert saved.read_text() == '# the training run\n'
    tests = [d for d in os.listdir(tmp_path) if d.startswith('test_')]
    assert len(tests) == 1
    assert osp.isfile(tmp_path / tests[0] / 'seg_tiny.py')


def _bad_copy(tmp_path, what):
    data = tmp_path / 'data'
    shutil.copytree(KVASIR, data)
    name = sorted(os.listdir(data / 'images'))[1]
    if what == 'truncated':
        path = data / 'masks' / name
        raw = path.read_bytes()
        path.write_bytes(raw[:len(raw) // 3])
    elif what == 'size':
        from PIL import Image
        path = data / 'masks' / name
        Image.open(path).convert('L').resize(
            (40, 30), Image.NEAREST).save(path, 'PNG')
    return data, path


@pytest.mark.parametrize('what,message', [
    ('truncated', 'truncated JPEG'),
    ('size', r'mask is 40x30 \(WxH\) but its image is'),
])
def test_bad_data_is_found_up_front(tmp_path, tool, what, message):
    import re
    data, path = _bad_copy(tmp_path, what)
    out = tool('train.py', SEG, '--work-dir', str(tmp_path / 'w'),
               '--cfg-options', f'train_dataloader.dataset.data_root={data}',
               f'val_dataloader.dataset.data_root={data}', expect_ok=False)
    line = _error_line(out)
    assert str(path) in line and re.search(message, line), line
    assert not osp.exists(tmp_path / 'w' / 'iter_2.pth')


def test_bad_data_without_the_check_is_one_line(tmp_path, tool):
    data, path = _bad_copy(tmp_path, 'size')
    out = tool('train.py', SEG, '--work-dir', str(tmp_path / 'w'),
               '--skip-data-check', '--cfg-options',
               f'train_dataloader.dataset.data_root={data}',
               f'val_dataloader.dataset.data_root={data}', expect_ok=False)
    line = _error_line(out)
    assert 'Traceback' not in out.stderr
    assert str(path) in line and 'is 40x30' in line, line


def test_num_classes_against_the_data(tmp_path, tool, configs_dir):
    out = tool('train.py', osp.join(configs_dir, 'cls_tiny.py'), '--work-dir',
               str(tmp_path), '--cfg-options', 'model.head.num_classes=2',
               expect_ok=False)
    line = _error_line(out)
    assert 'model.head.num_classes=2' in line and '3 classes' in line, line


def test_sync_bn_refused_on_cpu(tmp_path, tool):
    if torch.cuda.is_available():
        pytest.skip('SyncBN runs on GPUs')
    out = tool('train.py', SEG, '--work-dir', str(tmp_path), '--launcher',
               'pytorch', '--cfg-options', 'sync_bn=torch', expect_ok=False)
    assert 'SyncBatchNorm does not run on CPU' in _error_line(out)
