# Copyright (c) medproto contributors. All rights reserved.
"""Kvasir-SEG polyp segmentation dataset."""
from typing import Any

from mmseg.registry import DATASETS

from .binary_seg_dataset import BinarySegDataset
from .file_pairing import SuffixSpec


@DATASETS.register_module()
class KvasirSEGDataset(BinarySegDataset):
    """Kvasir-SEG (Jha et al., MMM 2020): colonoscopy frames with polyp masks.

    .. code-block:: none

        data_root/                  e.g. data/kvasir-seg/train
        ├── images/   cju0qkwl35piu0993l0dewei2.jpg ...
        └── masks/    cju0qkwl35piu0993l0dewei2.jpg ...

    The masks are JPEG files, so their levels are not only 0 and 255: the
    compression leaves values such as 1..8 and 247..254. They are therefore
    thresholded (``mask_threshold``, ``>= 128`` is polyp by default) by
    :class:`~medproto.datasets.transforms.LoadBinaryMask`, never compared
    with 255.

    Args:
        img_suffix (str | Sequence[str]): Image suffixes. Defaults to
            ``'.jpg'``.
        seg_map_suffix (str | Sequence[str]): Mask suffixes. Defaults to
            ``'.jpg'``.
        mask_threshold (int): Foreground threshold. Defaults to 128.
        **kwargs: Other arguments of :class:`BinarySegDataset`
            (``data_root``, ``data_prefix``, ``ann_file``, ``split``, ...).
    """

    def __init__(self,
                 img_suffix: SuffixSpec = '.jpg',
                 seg_map_suffix: SuffixSpec = '.jpg',
                 mask_threshold: int = 128,
                 **kwargs: Any) -> None:
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            mask_threshold=mask_threshold,
            **kwargs)
