# Copyright (c) medproto contributors. All rights reserved.
"""MedMNIST ``.npz`` classification dataset."""
import os.path as osp
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
from mmpretrain.registry import DATASETS

from .base_long_tail_dataset import BaseLongTailDataset


@DATASETS.register_module()
class MedMNISTDataset(BaseLongTailDataset):
    """A MedMNIST dataset (e.g. ``bloodmnist.npz``), held in memory.

    The ``.npz`` file has the arrays ``{split}_images`` -- uint8, gray
    ``(N, H, W)`` or RGB ``(N, H, W, 3)`` -- and ``{split}_labels`` -- integer
    ``(N,)`` or ``(N, 1)``. Each sample's info holds the image array itself
    under ``img`` (RGB or gray), so the pipeline starts with
    :class:`~medproto.datasets.transforms.LoadImageFromNDArray` instead of a
    file loader.

    Args:
        ann_file (str): The ``.npz`` file, relative to ``data_root``.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        data_root (str): Root joined to ``ann_file``. Defaults to ``''``.
        num_classes (int, optional): Number of classes; labels outside
            ``[0, num_classes)`` are refused. Defaults to the number of
            ``classes``, or ``max(label) + 1`` when neither is given.
        classes (Sequence[str], optional): Class names in label order.
            Defaults to ``('0', '1', ...)``.
        **kwargs: Other arguments of :class:`BaseLongTailDataset`
            (``imbalance_factor``, ``imb_seed``, ``class_order``) and
            :class:`mmpretrain.datasets.BaseDataset`.
    """

    SPLITS = ('train', 'val', 'test')

    def __init__(self,
                 ann_file: str,
                 split: str = 'train',
                 data_root: str = '',
                 num_classes: Optional[int] = None,
                 classes: Optional[Sequence[str]] = None,
                 **kwargs: Any) -> None:
        if split not in self.SPLITS:
            raise ValueError(
                f'`split` must be one of {self.SPLITS}, got {split!r}')
        if num_classes is not None and not (isinstance(num_classes, int)
                                            and num_classes >= 1):
            raise ValueError(
                f'`num_classes` must be an int >= 1, got {num_classes!r}')
        if (classes is not None and num_classes is not None
                and len(classes) != num_classes):
            raise ValueError(f'`classes` names {len(classes)} classes but '
                             f'`num_classes` is {num_classes}')
        self.split = split
        self.num_classes = num_classes
        super().__init__(
            ann_file=ann_file, data_root=data_root, classes=classes, **kwargs)

    def _read_arrays(self) -> Tuple[np.ndarray, np.ndarray]:
        """Read and check the images and labels of ``split``.

        Returns:
            tuple[np.ndarray, np.ndarray]: uint8 images and int64 labels (N,).
        """
        path = self.ann_file
        if not osp.isfile(path):
            raise FileNotFoundError(f'MedMNIST file {path!r} (`ann_file`) '
                                    f'not found')
        with np.load(path) as npz:
            keys = (f'{self.split}_images', f'{self.split}_labels')
            absent = [k for k in keys if k not in npz.files]
            if absent:
                raise KeyError(f'MedMNIST file {path!r} has no array(s) '
                               f'{absent}; it holds {sorted(npz.files)}')
            images, labels = npz[keys[0]], npz[keys[1]]
        if images.dtype != np.uint8 or images.ndim not in (3, 4) or (
                images.ndim == 4 and images.shape[-1] != 3):
            raise ValueError(
                f'{keys[0]} in {path!r} has shape {images.shape} and type '
                f'{images.dtype}; expected uint8 (N, H, W) or (N, H, W, 3)')
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise ValueError(
                f'{keys[1]} in {path!r} has shape {labels.shape}; expected '
                f'({images.shape[0]},) or ({images.shape[0]}, 1) '
                f'(multi-label MedMNIST sets are not supported)')
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f'{keys[1]} in {path!r} has type '
                             f'{labels.dtype}; expected integers')
        return images, labels.astype(np.int64)

    def _resolve_classes(self, labels: np.ndarray, path: str) -> None:
        """Set the class names and refuse labels outside their range."""
        if self.CLASSES is not None:
            num_classes = len(self.CLASSES)
        elif self.num_classes is not None:
            num_classes = self.num_classes
        else:
            num_classes = int(labels.max()) + 1 if labels.size else 0
        bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
        if bad.size:
            raise ValueError(
                f'MedMNIST file {path!r}: {self.split}_labels[{bad[0]}] = '
                f'{labels[bad[0]]} is outside [0, {num_classes}) '
                f'({bad.size} label(s) out of range)')
        if self.CLASSES is None:
            self._metainfo['classes'] = tuple(
                str(i) for i in range(num_classes))

    def load_samples(self) -> List[dict]:
        """Load the arrays of ``split``.

        Returns:
            list[dict]: ``dict(img=array, gt_label=int)`` per sample.
        """
        images, labels = self._read_arrays()
        if images.shape[0] == 0:
            raise ValueError(
                f'MedMNIST file {self.ann_file!r} has no {self.split} sample')
        self._resolve_classes(labels, self.ann_file)
        return [
            dict(img=img, gt_label=int(label))
            for img, label in zip(images, labels)
        ]
