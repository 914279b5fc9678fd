# Copyright (c) medproto contributors. All rights reserved.
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner, load_checkpoint

import medproto  # noqa: F401
from medproto.compat import (UnsafeCheckpointError, atomic_write_bytes,
                             from_safe, safe_torch_load, to_safe)


class _Evil:
    """Unpickling this object would create a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_crafted_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _Evil(str(marker))}, str(path))
    assert not marker.exists()
    with pytest.raises(UnsafeCheckpointError, match='refused to load'):
        safe_torch_load(str(path))
    assert not marker.exists()
    # mmengine's own loading path goes through the same check
    with pytest.raises(UnsafeCheckpointError, match=str(path)):
        load_checkpoint(nn.Linear(2, 2), str(path))
    assert not marker.exists()


def test_truncated_and_missing_files(tmp_path):
    path = tmp_path / 'model.pth'
    torch.save({'w': torch.ones(100)}, str(path))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(UnsafeCheckpointError, match='truncated'):
        safe_torch_load(str(path))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        safe_torch_load(str(tmp_path / 'nope.pth'))


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'ckpt.pth'
    atomic_write_bytes(b'old', path)

    def broken_replace(src, dst):
        raise OSError('disk died')

    monkeypatch.setattr(os, 'replace', broken_replace)
    with pytest.raises(OSError, match='disk died'):
        atomic_write_bytes(b'new content', path)
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['ckpt.pth']  # no temp file left


def test_mmengine_local_backend_is_atomic(tmp_path, monkeypatch):
    from mmengine.fileio import get_file_backend
    path = str(tmp_path / 'last_checkpoint')
    backend = get_file_backend(path)
    backend.put_text('a', path)
    monkeypatch.setattr(os, 'replace',
                        lambda s, d: (_ for _ in ()).throw(OSError('kill')))
    with pytest.raises(OSError):
        backend.put(b'bbbb', path)
    assert open(path).read() == 'a'


def test_to_safe_round_trip():
    buf = HistoryBuffer([1.0, 2.5], [1, 2], max_length=10)
    obj = {'log_scalars': {'train/loss': buf},
           'runtime_info': {'arr': np.arange(3), 'x': np.float32(1.5),
                            'names': ('a', 'b'), 'tags': {'x'}}}
    safe = to_safe(obj)
    path_obj = from_safe(safe)
    rebuilt = path_obj['log_scalars']['train/loss']
    assert isinstance(rebuilt, HistoryBuffer)
    np.testing.assert_allclose(rebuilt.data[0], [1.0, 2.5])
    np.testing.assert_array_equal(path_obj['runtime_info']['arr'],
                                  np.arange(3))
    assert path_obj['runtime_info']['x'] == 1.5
    assert path_obj['runtime_info']['tags'] == {'x'}
    with pytest.raises(TypeError, match='object'):
        to_safe({'bad': object()})


class _ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        inputs = torch.stack(inputs)
        out = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=(out - torch.stack(data_samples)).pow(2).mean())
        return out


class _ToyData(torch.utils.data.Dataset):

    def __len__(self):
        return 16

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        x = torch.randn(2, generator=g)
        return dict(inputs=x, data_samples=x.sum().reshape(1))


def _runner(work_dir, max_iters, with_hook=True, resume=False):
    hooks = [dict(type='medproto.SafeCheckpointHook')] if with_hook else []
    return Runner(
        model=_ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_ToyData(), sampler=dict(type='DefaultSampler',
                                             shuffle=True),
            batch_size=4, num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.01)),
        param_scheduler=dict(type='CosineAnnealingLR', T_max=max_iters,
                             by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=2, by_epoch=False)),
        custom_hooks=hooks,
        resume=resume,
        randomness=dict(seed=0),
        default_scope='mmengine')


def test_resume_with_weights_only(tmp_path):
    runner = _runner(tmp_path, 4)
    runner.train()
    ckpt = osp.join(tmp_path, 'iter_2.pth')
    raw = torch.load(ckpt, weights_only=True)  # loads: no unsafe objects
    assert 'optimizer' in raw and 'message_hub' in raw

    resumed = _runner(tmp_path, 6, resume=True)
    resumed.train()
    assert resumed.iter == 6
    # resumed from iter_4, the latest checkpoint, with its history intact
    hist = resumed.message_hub.get_scalar('train/loss')
    assert len(hist.data[0]) >= 2


def test_without_hook_mmengine_checkpoints_are_not_weights_only(tmp_path):
    """Documents why SafeCheckpointHook exists (fails if torch/mmengine
    change so that plain checkpoints become weights-only loadable)."""
    runner = _runner(tmp_path, 2, with_hook=False)
    runner.train()
    with pytest.raises(UnsafeCheckpointError):
        safe_torch_load(osp.join(tmp_path, 'iter_2.pth'))
