# Copyright (c) medproto contributors. All rights reserved.
"""CIFAR-100 from the ``cifar-100-python`` pickle files, read safely."""
import io
import os.path as osp
import pickle
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

try:  # numpy >= 2
    from numpy._core import multiarray as _multiarray
    from numpy._core import numeric as _numeric
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray
    from numpy.core import numeric as _numeric

__all__ = ['CIFAR100Pickle', 'safe_pickle_load', 'UnsafePickleError']


def _array_reconstructors() -> Dict[Tuple[str, str], Callable]:
    """The only globals a pickle of numpy arrays needs, under the module
    names numpy 1.x and 2.x write."""
    allowed = {}
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[(module, '_reconstruct')] = _multiarray._reconstruct
        allowed[(module, 'scalar')] = _multiarray.scalar
    for module in ('numpy.core.numeric', 'numpy._core.numeric'):
        allowed[(module, '_frombuffer')] = _numeric._frombuffer
    allowed[('numpy', 'ndarray')] = np.ndarray
    allowed[('numpy', 'dtype')] = np.dtype
    # Protocol <= 2 pickles written by Python 3 store bytes this way.
    allowed[('_codecs', 'encode')] = _latin1_encode
    return allowed


def _latin1_encode(text: str, encoding: str = 'latin1') -> bytes:
    """``codecs.encode`` restricted to the encoding pickles use for bytes."""
    if encoding not in ('latin1', 'latin-1') or not isinstance(text, str):
        raise UnsafePickleError('refused _codecs.encode with encoding '
                                f'{encoding!r}')
    return text.encode('latin1')


class UnsafePickleError(pickle.UnpicklingError):
    """Raised when a pickle asks for anything but numpy arrays and plain
    containers."""


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and nothing else."""

    _ALLOWED = _array_reconstructors()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f'refused to load {module}.{name}: the CIFAR pickles hold '
                'only dicts of lists, strings, bytes and numpy arrays') \
                from None


def safe_pickle_load(path: str) -> Any:
    """Load a pickle that may contain only containers and numpy arrays.

    Python 2 strings are decoded as latin-1, as for the original
    ``cifar-100-python`` files.

    Args:
        path (str): The pickle file.

    Returns:
        The unpickled object.
    """
    with open(path, 'rb') as f:
        data = f.read()
    return _ArrayOnlyUnpickler(io.BytesIO(data), encoding='latin1').load()


def _text_keys(entry: Any, path: str) -> Dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError(f'{path} is not a CIFAR pickle: it holds a '
                         f'{type(entry).__name__}, not a dict')
    return {k.decode('latin1') if isinstance(k, bytes) else k: v
            for k, v in entry.items()}


@DATASETS.register_module()
class CIFAR100Pickle(BaseDataset):
    """CIFAR-100 read from the files of ``cifar-100-python.tar.gz``.

    ``data_root`` is the extracted ``cifar-100-python`` folder with the
    pickles ``train`` (50000 images), ``test`` (10000) and ``meta``
    (class names). Nothing is downloaded, and the pickles are read with an
    unpickler that rebuilds numpy arrays only. Each sample's info holds the
    RGB image ``img`` (32, 32, 3) uint8, ``gt_label`` and -- added by
    mmengine's ``BaseDataset`` -- ``sample_idx``, the index CRD's memory
    bank needs (kept by mmpretrain's ``PackInputs``).

    Args:
        data_root (str): The ``cifar-100-python`` folder.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        label_type (str): ``'fine'`` (100 classes) or ``'coarse'``
            (20 super-classes). Defaults to ``'fine'``.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``pipeline``, ``test_mode``, ``indices``, ...).
    """

    SPLITS = ('train', 'test')
    LABEL_TYPES = ('fine', 'coarse')

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 label_type: str = 'fine',
                 **kwargs: Any) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'split must be one of {self.SPLITS}, got '
                             f'{split!r}')
        if label_type not in self.LABEL_TYPES:
            raise ValueError(f'label_type must be one of {self.LABEL_TYPES}'
                             f', got {label_type!r}')
        if not isinstance(data_root, str) or not osp.isdir(data_root):
            raise FileNotFoundError(
                f'CIFAR-100 folder {data_root!r} (data_root) not found: '
                'extract cifar-100-python.tar.gz and point data_root at its '
                'cifar-100-python folder')
        self.split = split
        self.label_type = label_type
        kwargs.setdefault('classes', self._read_classes(data_root))
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def _read_classes(self, data_root: str) -> Optional[List[str]]:
        path = osp.join(data_root, 'meta')
        if not osp.isfile(path):
            return None
        meta = _text_keys(safe_pickle_load(path), path)
        return list(meta.get(f'{self.label_type}_label_names', [])) or None

    def load_data_list(self) -> List[dict]:
        """Read images and labels of the split.

        Returns:
            list[dict]: ``dict(img=ndarray (32, 32, 3), gt_label=int)``.
        """
        path = osp.join(self.data_root, self.split)
        if not osp.isfile(path):
            raise FileNotFoundError(f'CIFAR-100 file {path} not found')
        entry = _text_keys(safe_pickle_load(path), path)
        key = f'{self.label_type}_labels'
        if 'data' not in entry or key not in entry:
            raise KeyError(f'{path} lacks "data" or "{key}"; keys: '
                           f'{sorted(entry)}')
        images = np.asarray(entry['data'], dtype=np.uint8)
        labels = np.asarray(entry[key], dtype=np.int64)
        if images.ndim != 2 or images.shape[1] != 3 * 32 * 32 or len(
                images) != len(labels):
            raise ValueError(f'{path}: expected data (N, 3072) and N labels,'
                             f' got {images.shape} and {labels.shape}')
        images = images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return [dict(img=np.ascontiguousarray(img), gt_label=int(label))
                for img, label in zip(images, labels)]
