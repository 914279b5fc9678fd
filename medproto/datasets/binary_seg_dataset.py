# Copyright (c) medproto contributors. All rights reserved.
"""Generic image-folder + mask-folder dataset for binary segmentation."""
from typing import Any, List, Optional

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .file_pairing import (SuffixSpec, check_folder, format_names,
                           list_files_by_stem, normalize_suffixes,
                           pair_by_stem, read_split_file, seeded_split)

IMG_KEY = "data_prefix['img_path']"
MASK_KEY = "data_prefix['seg_map_path']"


@DATASETS.register_module()
class BinarySegDataset(BaseSegDataset):
    """Binary segmentation dataset read from an image folder and a mask
    folder.

    .. code-block:: none

        data_root/
        ├── images/   case1.jpg  case2.jpg ...
        └── masks/    case1.png  case2.png ...

    Images and masks are paired by file stem (the name without its
    extension), never by listing order. Every image must have a mask and
    every mask an image, otherwise construction fails naming the orphans.
    Masks are read by :class:`~medproto.datasets.transforms.LoadBinaryMask`,
    which thresholds them to ``{0: background, 1: foreground}``; the
    dataset's ``mask_threshold`` travels to it in each sample's info.

    Which samples are used:

    * ``ann_file`` (a split file, one stem per line) selects exactly the
      listed stems, in file order;
    * otherwise every pair is used (``split='all'``), or a deterministic
      seeded part of them (``split='train'`` / ``'val'`` with ``val_ratio``
      and ``seed``): the two parts are disjoint and do not depend on the
      order in which the file system lists the folders.

    Args:
        data_root (str, optional): Root joined to relative ``data_prefix``
            entries and ``ann_file``. Defaults to None.
        data_prefix (dict, optional): ``dict(img_path=..., seg_map_path=...)``
            folders of images and masks. Defaults to
            ``dict(img_path='images', seg_map_path='masks')``.
        ann_file (str): Optional split file. Defaults to ``''``.
        img_suffix (str | Sequence[str]): Accepted image suffixes
            (case-insensitive). Defaults to common image formats.
        seg_map_suffix (str | Sequence[str]): Accepted mask suffixes.
            Defaults to common image formats.
        mask_threshold (int): Gray level at or above which a mask pixel is
            foreground, in ``[1, 255]``. Defaults to 128.
        split (str): ``'all'``, ``'train'`` or ``'val'``; only used without
            ``ann_file``. Defaults to ``'all'``.
        val_ratio (float): Fraction of pairs in the ``'val'`` part, in
            ``[0, 1)``. Defaults to 0.2.
        seed (int): Seed of the train/val split. Defaults to 42.
        **kwargs: Other arguments of :class:`mmseg.datasets.BaseSegDataset`
            (``pipeline``, ``test_mode``, ``indices``, ``lazy_init``, ...).
    """

    METAINFO = dict(
        classes=('background', 'foreground'),
        palette=[[0, 0, 0], [255, 255, 255]])
    DEFAULT_PREFIX = dict(img_path='images', seg_map_path='masks')
    IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp')

    def __init__(self,
                 data_root: Optional[str] = None,
                 data_prefix: Optional[dict] = None,
                 ann_file: str = '',
                 img_suffix: SuffixSpec = IMAGE_SUFFIXES,
                 seg_map_suffix: SuffixSpec = IMAGE_SUFFIXES,
                 mask_threshold: int = 128,
                 split: str = 'all',
                 val_ratio: float = 0.2,
                 seed: int = 42,
                 **kwargs: Any) -> None:
        data_prefix = dict(self.DEFAULT_PREFIX if data_prefix is None else
                           data_prefix)
        missing = {'img_path', 'seg_map_path'} - set(data_prefix)
        if missing:
            raise ValueError(f'`data_prefix` must give both `img_path` and '
                             f'`seg_map_path`, missing {sorted(missing)}')
        if not (isinstance(mask_threshold, int)
                and 1 <= mask_threshold <= 255):
            raise ValueError(f'`mask_threshold` must be an int in [1, 255], '
                             f'got {mask_threshold!r}')
        if split not in ('all', 'train', 'val'):
            raise ValueError(
                f"`split` must be 'all', 'train' or 'val', got {split!r}")
        if ann_file and split != 'all':
            raise ValueError(f'give either a split file (`ann_file`) or '
                             f'`split={split!r}`, not both')
        if not 0.0 <= val_ratio < 1.0:
            raise ValueError(f'`val_ratio` must be in [0, 1), got {val_ratio}')
        self.img_suffixes = normalize_suffixes(img_suffix, 'img_suffix')
        self.seg_map_suffixes = normalize_suffixes(seg_map_suffix,
                                                   'seg_map_suffix')
        self.mask_threshold = mask_threshold
        self.split = split
        self.val_ratio = val_ratio
        self.seed = seed
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            ann_file=ann_file,
            img_suffix=self.img_suffixes[0],
            seg_map_suffix=self.seg_map_suffixes[0],
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Pair images with masks and select the requested samples.

        Returns:
            list[dict]: One info dict per pair with ``img_path``,
            ``seg_map_path``, ``mask_threshold`` and mmseg's bookkeeping
            keys (``label_map``, ``reduce_zero_label``, ``seg_fields``).
        """
        img_dir = check_folder(self.data_prefix.get('img_path'), IMG_KEY)
        mask_dir = check_folder(self.data_prefix.get('seg_map_path'), MASK_KEY)
        images = list_files_by_stem(img_dir, self.img_suffixes, IMG_KEY)
        masks = list_files_by_stem(mask_dir, self.seg_map_suffixes, MASK_KEY)
        if self.ann_file:
            stems = read_split_file(self.ann_file)
            absent = [s for s in stems if s not in images or s not in masks]
            if absent:
                raise FileNotFoundError(
                    f'split file {self.ann_file!r} lists {len(absent)} '
                    f'sample(s) without both an image in {img_dir!r} and a '
                    f'mask in {mask_dir!r}: {format_names(absent)}')
        else:
            pairs = pair_by_stem(images, masks, IMG_KEY, MASK_KEY)
            stems = seeded_split([stem for stem, _, _ in pairs], self.split,
                                 self.val_ratio, self.seed)
        return [
            dict(
                img_path=images[stem],
                seg_map_path=masks[stem],
                mask_threshold=self.mask_threshold,
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[]) for stem in stems
        ]
