# Copyright (c) medproto contributors. All rights reserved.
"""Class-per-subfolder image dataset with an optional long-tail profile."""
import os
import os.path as osp
from typing import Any, List, Sequence, Union

from mmpretrain.registry import DATASETS

from .base_long_tail_dataset import BaseLongTailDataset
from .file_pairing import check_folder, normalize_suffixes

IMG_KEY = "data_prefix['img_path']"


@DATASETS.register_module()
class ImageFolderLT(BaseLongTailDataset):
    """Images sorted into one subfolder per class, optionally made
    long-tailed.

    .. code-block:: none

        data_root/train/            e.g. data/pbc-blood-cells-128/train
        ├── basophil/    BA_100102.jpg ...
        ├── eosinophil/  ...
        └── ...

    Class names are the sorted subfolder names (label ``i`` = ``i``-th name),
    unless ``classes`` (or ``metainfo['classes']``) picks and orders them.
    Files in a class folder are taken in sorted order. With
    ``imbalance_factor`` the exponential long-tail subsampler of
    :class:`BaseLongTailDataset` is applied (CIFAR-100-LT protocol on a
    balanced pool); ``metainfo['class_counts']`` always gives the samples per
    class that are actually used.

    Args:
        data_root (str): Root joined to ``data_prefix``. Defaults to ``''``.
        data_prefix (str | dict): Folder holding the class folders, relative
            to ``data_root``. Defaults to ``''``.
        extensions (Sequence[str]): Accepted image suffixes
            (case-insensitive). Defaults to common image formats.
        classes (str | Sequence[str], optional): Class names (or a file with
            one per line) to use, in label order; each must be a subfolder.
            Defaults to None (every subfolder).
        **kwargs: Other arguments of :class:`BaseLongTailDataset`
            (``imbalance_factor``, ``imb_seed``, ``class_order``) and
            :class:`mmpretrain.datasets.BaseDataset` (``pipeline``,
            ``test_mode``, ``indices``, ...).
    """

    def __init__(self,
                 data_root: str = '',
                 data_prefix: Union[str, dict] = '',
                 extensions: Sequence[str] = ('.jpg', '.jpeg', '.png', '.bmp',
                                              '.tif', '.tiff'),
                 classes: Union[str, Sequence[str], None] = None,
                 **kwargs: Any) -> None:
        if kwargs.get('ann_file'):
            raise ValueError('ImageFolderLT reads class folders and takes no '
                             '`ann_file`; use mmpretrain CustomDataset for '
                             'annotation files')
        kwargs.pop('ann_file', None)
        self.extensions = normalize_suffixes(extensions, 'extensions')
        super().__init__(
            ann_file='',
            data_root=data_root,
            data_prefix=data_prefix,
            classes=classes,
            **kwargs)

    def _list_images(self, folder: str) -> List[str]:
        """Sorted image files of one class folder, refusing empty ones."""
        names = sorted(n for n in os.listdir(folder)
                       if n.lower().endswith(self.extensions)
                       and osp.isfile(osp.join(folder, n)))
        if not names:
            raise FileNotFoundError(
                f'class folder {folder!r} holds no image ending with '
                f'{" or ".join(self.extensions)}')
        paths = [osp.join(folder, n) for n in names]
        for path in paths:
            if osp.getsize(path) == 0:
                raise OSError(f'image file {path!r} is empty (0 bytes)')
        return paths

    def load_samples(self) -> List[dict]:
        """Scan the class folders.

        Returns:
            list[dict]: ``dict(img_path=..., gt_label=...)`` per image, class
            by class.
        """
        root = check_folder(self.img_prefix, f'data_root + {IMG_KEY}')
        folders = sorted(d for d in os.listdir(root)
                         if osp.isdir(osp.join(root, d)))
        if not folders:
            raise FileNotFoundError(f'folder {root!r} ({IMG_KEY}) holds no '
                                    f'class sub-folder')
        if self.CLASSES is None:
            self._metainfo['classes'] = tuple(folders)
        missing = [c for c in self.CLASSES if c not in folders]
        if missing:
            raise FileNotFoundError(
                f'classes {missing} have no sub-folder in {root!r}; found '
                f'{folders}')
        return [
            dict(img_path=path, gt_label=label)
            for label, name in enumerate(self.CLASSES)
            for path in self._list_images(osp.join(root, name))
        ]
