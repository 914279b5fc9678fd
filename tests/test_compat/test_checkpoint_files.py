# Copyright (c) medproto contributors. All rights reserved.
"""File modes, "not a checkpoint", stale temporaries, last_checkpoint."""
import os
import os.path as osp

import pytest
import torch

import medproto  # noqa: F401
from medproto.compat import UnsafeCheckpointError, safe_torch_load
from medproto.compat.checkpoint import (atomic_write_bytes,
                                        remove_stale_temporaries)


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_written_files_follow_the_umask(tmp_path, umask_027):
    path = tmp_path / 'a.pth'
    atomic_write_bytes(b'x', path)
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o640)


@pytest.mark.parametrize('content', [b'hello world\n', b'', b'{"a": 1}'])
def test_a_text_file_is_not_a_checkpoint(tmp_path, content):
    path = tmp_path / 'notes.pth'
    path.write_bytes(content)
    with pytest.raises(UnsafeCheckpointError,
                       match=r'notes\.pth is not a checkpoint'):
        safe_torch_load(str(path))


def test_a_malformed_pickle_is_not_called_code(tmp_path):
    path = tmp_path / 'g.pth'
    path.write_bytes(b'\x80\x02garbage')
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_torch_load(str(path))
    assert 'not a checkpoint' in str(info.value)
    assert 'import or run code' not in str(info.value)


def test_real_checkpoints_still_load(tmp_path):
    for legacy in (False, True):
        path = tmp_path / f'{legacy}.pth'
        torch.save({'w': torch.ones(2)}, path,
                   _use_new_zipfile_serialization=not legacy)
        assert torch.equal(safe_torch_load(str(path))['w'], torch.ones(2))


def test_remove_stale_temporaries(tmp_path):
    stale = tmp_path / '.iter_4.pth.abc123.tmp'
    stale.write_bytes(b'partial')
    keep = [tmp_path / 'iter_4.pth', tmp_path / 'notes.tmp']
    for p in keep:
        p.write_bytes(b'x')
    assert remove_stale_temporaries(str(tmp_path)) == [str(stale)]
    assert not stale.exists() and all(p.exists() for p in keep)


def test_mmengine_last_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    """checkpoint_hook's open('w') goes through atomic_write_bytes: a
    failure while writing leaves the old pointer."""
    from mmengine.hooks import checkpoint_hook
    pointer = tmp_path / 'last_checkpoint'
    with checkpoint_hook.open(str(pointer), 'w') as f:
        f.write('/runs/iter_2.pth')
    assert pointer.read_text() == '/runs/iter_2.pth'

    def boom(*args, **kwargs):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'replace', boom)
    with pytest.raises(OSError):
        with checkpoint_hook.open(str(pointer), 'w') as f:
            f.write('/runs/iter_4.pth')
    assert pointer.read_text() == '/runs/iter_2.pth'
    assert [p for p in os.listdir(tmp_path) if p.endswith('.tmp')] == []
    with checkpoint_hook.open(str(pointer)) as f:  # reads are plain
        assert f.read() == '/runs/iter_2.pth'
    assert osp.isfile(pointer)
