# Copyright (c) medproto contributors. All rights reserved.
"""Safe, atomic checkpoints on torch >= 2.6.

Three pieces, installed once by :func:`install` when medproto is imported:

* every local checkpoint is read with ``torch.load(..., weights_only=True)``
  whatever the torch default; a file whose pickle asks for anything but
  tensors and plain containers is refused with :class:`UnsafeCheckpointError`
  before any of its code can run;
* local files are written atomically (temporary file in the same folder,
  ``fsync``, ``os.replace``), so a killed run never leaves a half-written
  ``epoch_N.pth`` or ``last_checkpoint``;
* :func:`to_safe` / :func:`from_safe` turn the objects mmengine puts into a
  resume checkpoint (``HistoryBuffer``, numpy arrays and scalars) into tagged
  plain containers and back. :class:`medproto.engine.hooks.SafeCheckpointHook`
  applies them on save and load.
"""
import builtins
import glob
import io
import os
import os.path as osp
import pickle
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any, List, Union

import numpy as np
import torch

__all__ = ['UnsafeCheckpointError', 'safe_torch_load', 'to_safe',
           'from_safe', 'atomic_write_bytes', 'remove_stale_temporaries',
           'install']

_TAG = '__medproto_type__'


class UnsafeCheckpointError(RuntimeError):
    """Raised for a checkpoint that cannot be loaded with weights only."""


def safe_torch_load(filename: str, map_location: Any = 'cpu') -> Any:
    """Load ``filename`` with ``weights_only=True`` and a plain error.

    Args:
        filename (str): Path of a local checkpoint.
        map_location: Passed to :func:`torch.load`.

    Returns:
        The loaded object (usually a dict).

    Raises:
        FileNotFoundError: If the file does not exist.
        UnsafeCheckpointError: If the pickle references code (classes or
            functions other than tensors and plain containers), or the file
            is truncated or not a checkpoint at all.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    if not _looks_like_checkpoint(filename):
        raise UnsafeCheckpointError(
            f'{filename} is not a checkpoint: it is neither a PyTorch zip '
            f'archive nor a pickle (pass a .pth file saved by training)')
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as err:
        first = _unpickler_reason(str(err))
        if not _pickle_imports_code(first):
            raise UnsafeCheckpointError(
                f'{filename} is not a checkpoint: it cannot be read as one '
                f'({first})') from None
        raise UnsafeCheckpointError(
            f'refused to load checkpoint {filename}: it is not a weights-only '
            f'checkpoint (its pickle asks to import or run code: {first}). '
            f'medproto never executes code from a checkpoint; re-save the '
            f'weights from a trusted environment with '
            f'torch.save(model.state_dict(), path).') from None
    except (RuntimeError, EOFError, OSError, IndexError, ValueError,
            KeyError) as err:
        raise UnsafeCheckpointError(
            f'cannot read checkpoint {filename}: the file is truncated or '
            f'not a PyTorch checkpoint ({type(err).__name__}: '
            f'{str(err).splitlines()[0] if str(err) else ""})') from None


def _looks_like_checkpoint(filename: str) -> bool:
    """Whether ``filename`` starts like a file ``torch.save`` writes: a zip
    archive (torch >= 1.6) or a pickle stream (legacy format, protocol 2+
    starts with ``0x80``)."""
    if zipfile.is_zipfile(filename):
        return True
    with open(filename, 'rb') as f:
        head = f.read(2)
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _unpickler_reason(message: str) -> str:
    """The reason in torch's weights-only error (the text after
    ``WeightsUnpickler error:``), else its first line."""
    text = message.split('WeightsUnpickler error:', 1)[-1].strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ''


def _pickle_imports_code(reason: str) -> bool:
    """Whether a weights-only unpickling error is about a global (a class or
    function the pickle asks for), rather than a malformed stream."""
    return any(word in reason for word in
               ('GLOBAL', 'global', 'Unsupported class', 'REDUCE', 'BUILD'))


def _umask_mode() -> int:
    """``0o666`` less the process umask: the mode ``open()`` gives a new
    file (``mkstemp`` gives 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(data: bytes, filepath: Union[str, os.PathLike]) -> None:
    """Write ``data`` to ``filepath`` so that readers see old or new, never
    half.

    The file gets the mode of any file the user writes (``0o666`` less the
    umask), not the 0600 of a temporary file.

    Args:
        data (bytes): Content.
        filepath (str | PathLike): Destination; its folder is created.
    """
    filepath = os.fspath(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), _umask_mode())
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def remove_stale_temporaries(folder: str) -> List[str]:
    """Delete the temporaries a killed :func:`atomic_write_bytes` left in
    ``folder`` (``.<name>.<random>.tmp``, not recursive).

    Call it only where no other process writes, e.g. at the start of a run
    in its own work dir.

    Returns:
        list[str]: The removed paths.
    """
    removed = []
    for path in glob.glob(osp.join(glob.escape(folder), '.*.tmp')):
        if osp.isfile(path):
            os.remove(path)
            removed.append(path)
    return removed


class _AtomicTextFile(io.StringIO):
    """A text file opened for writing whose content replaces the target
    atomically on ``close``."""

    def __init__(self, path: str, encoding: str = 'utf-8') -> None:
        super().__init__()
        self._path = path
        self._encoding = encoding

    def close(self) -> None:
        if not self.closed:
            data = self.getvalue().encode(self._encoding)
            super().close()
            atomic_write_bytes(data, self._path)


def _atomic_open(file, mode: str = 'r', *args, **kwargs):
    """``open`` for mmengine's checkpoint hook: text writes (the
    ``last_checkpoint`` pointer) become atomic, everything else is
    :func:`open`."""
    if mode in ('w', 'wt') and not args:
        return _AtomicTextFile(os.fspath(file),
                               kwargs.get('encoding') or 'utf-8')
    return builtins.open(file, mode, *args, **kwargs)


def to_safe(obj: Any) -> Any:
    """Convert ``obj`` into tensors and plain containers, tagging what
    :func:`from_safe` must rebuild.

    ``HistoryBuffer`` and numpy arrays become tagged dicts, numpy scalars
    Python scalars. Objects of any other class raise ``TypeError``.
    """
    from mmengine.logging import HistoryBuffer
    if isinstance(obj, np.generic):  # before float: np.float64 is a float
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str, bytes,
                                       torch.Tensor, torch.dtype,
                                       torch.device, torch.Size)):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return {_TAG: 'list', 'data': [to_safe(v) for v in obj.tolist()]}
        return {_TAG: 'ndarray', 'data': torch.from_numpy(obj.copy())}
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {_TAG: 'HistoryBuffer',
                'log_history': torch.from_numpy(np.asarray(log, np.float64)),
                'count_history': torch.from_numpy(
                    np.asarray(count, np.float64)),
                'max_length': int(obj.max_length)}
    if isinstance(obj, OrderedDict):
        return OrderedDict((k, to_safe(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: to_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        converted = [to_safe(v) for v in obj]
        return tuple(converted) if isinstance(obj, tuple) else converted
    if isinstance(obj, (set, frozenset)):
        return {_TAG: 'set', 'data': [to_safe(v) for v in obj]}
    raise TypeError(f'cannot store an object of type {type(obj).__name__} in '
                    f'a weights-only checkpoint')


def from_safe(obj: Any) -> Any:
    """Inverse of :func:`to_safe`."""
    from mmengine.logging import HistoryBuffer
    if isinstance(obj, dict):
        tag = obj.get(_TAG)
        if tag == 'HistoryBuffer':
            return HistoryBuffer(obj['log_history'].numpy().tolist(),
                                 obj['count_history'].numpy().tolist(),
                                 obj['max_length'])
        if tag == 'ndarray':
            return obj['data'].numpy()
        if tag == 'set':
            return set(from_safe(v) for v in obj['data'])
        if tag == 'list':
            return np.array([from_safe(v) for v in obj['data']], dtype=object)
        items = ((k, from_safe(v)) for k, v in obj.items())
        return OrderedDict(items) if isinstance(obj, OrderedDict) else dict(
            items)
    if isinstance(obj, list):
        return [from_safe(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(from_safe(v) for v in obj)
    return obj


_INSTALLED = False


def install() -> None:
    """Route mmengine's local checkpoint I/O through the safe functions."""
    global _INSTALLED
    if _INSTALLED:
        return
    from mmengine.fileio import io
    from mmengine.fileio.backends import LocalBackend, register_backend
    from mmengine.runner.checkpoint import CheckpointLoader

    class AtomicLocalBackend(LocalBackend):
        """mmengine's local backend with atomic ``put`` / ``put_text``."""

        def put(self, obj: bytes, filepath) -> None:
            atomic_write_bytes(obj, filepath)

        def put_text(self, obj: str, filepath, encoding: str = 'utf-8'):
            atomic_write_bytes(obj.encode(encoding), filepath)

    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    # Drop instances of the non-atomic backend made before this point.
    for key in [k for k, v in io.backend_instances.items()
                if type(v) is LocalBackend]:
        io.backend_instances.pop(key)

    def load_from_local(filename, map_location=None):
        return safe_torch_load(filename, map_location=map_location)

    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
    # mmengine writes ``last_checkpoint`` with a plain open(); a module
    # global shadows the builtin for that one module only.
    from mmengine.hooks import checkpoint_hook
    checkpoint_hook.open = _atomic_open
    _INSTALLED = True
