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
import os
import os.path as osp
import pickle
import tempfile
from collections import OrderedDict
from typing import Any, Union

import numpy as np
import torch

__all__ = ['UnsafeCheckpointError', 'safe_torch_load', 'to_safe',
           'from_safe', 'atomic_write_bytes', 'install']

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
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err) else ''
        raise UnsafeCheckpointError(
            f'refused to load checkpoint {filename}: it is not a weights-only '
            f'checkpoint (its pickle asks to import or run code: {first}). '
            f'medproto never executes code from a checkpoint; re-save the '
            f'weights from a trusted environment with '
            f'torch.save(model.state_dict(), path).') from None
    except (RuntimeError, EOFError, OSError) as err:
        raise UnsafeCheckpointError(
            f'cannot read checkpoint {filename}: the file is truncated or '
            f'not a PyTorch checkpoint ({type(err).__name__}: '
            f'{str(err).splitlines()[0] if str(err) else ""})') from None


def atomic_write_bytes(data: bytes, filepath: Union[str, os.PathLike]) -> None:
    """Write ``data`` to ``filepath`` so that readers see old or new, never
    half.

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
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


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
    _INSTALLED = True
