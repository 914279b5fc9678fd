# Copyright (c) medproto contributors. All rights reserved.
"""CVC-ClinicDB polyp segmentation dataset."""
import os.path as osp
from typing import Any, Optional

from mmseg.registry import DATASETS

from .binary_seg_dataset import BinarySegDataset
from .file_pairing import SuffixSpec


@DATASETS.register_module()
class CVCClinicDBDataset(BinarySegDataset):
    """CVC-ClinicDB (Bernal et al., CMIG 2015): 612 colonoscopy frames.

    Three layouts under ``data_root`` are understood:

    .. code-block:: none

        'png':  PNG/Original/1.png   PNG/Ground Truth/1.png   (original)
        'tif':  TIF/Original/1.tif   TIF/Ground Truth/1.tif   (original, TIF)
        'flat': images/1.png         masks/1.png

    With ``layout='auto'`` the first of these whose two folders both exist is
    used. An explicit ``data_prefix`` overrides the layout. The dataset has
    no official split: without a split file, ``split='train'`` / ``'val'``
    gives a deterministic seeded partition (``val_ratio``, ``seed``).

    Args:
        data_root (str, optional): Dataset root. Defaults to None.
        data_prefix (dict, optional): Explicit image/mask folders; overrides
            ``layout``. Defaults to None.
        layout (str): ``'auto'``, ``'png'``, ``'tif'`` or ``'flat'``.
            Defaults to ``'auto'``.
        img_suffix (str | Sequence[str]): Image suffixes. Defaults to PNG
            and TIF.
        seg_map_suffix (str | Sequence[str]): Mask suffixes. Defaults to PNG
            and TIF.
        **kwargs: Other arguments of :class:`BinarySegDataset`
            (``split``, ``val_ratio``, ``seed``, ``ann_file``, ...).
    """

    LAYOUTS = {
        'png': dict(img_path='PNG/Original', seg_map_path='PNG/Ground Truth'),
        'tif': dict(img_path='TIF/Original', seg_map_path='TIF/Ground Truth'),
        'flat': dict(img_path='images', seg_map_path='masks'),
    }

    def __init__(self,
                 data_root: Optional[str] = None,
                 data_prefix: Optional[dict] = None,
                 layout: str = 'auto',
                 img_suffix: SuffixSpec = ('.png', '.tif', '.tiff'),
                 seg_map_suffix: SuffixSpec = ('.png', '.tif', '.tiff'),
                 **kwargs: Any) -> None:
        if layout != 'auto' and layout not in self.LAYOUTS:
            raise ValueError(f"`layout` must be 'auto' or one of "
                             f'{sorted(self.LAYOUTS)}, got {layout!r}')
        if data_prefix is None:
            data_prefix = self._layout_prefix(data_root, layout)
        self.layout = layout
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    @classmethod
    def _layout_prefix(cls, data_root: Optional[str], layout: str) -> dict:
        """Return the ``data_prefix`` of a layout, detecting it if asked.

        Args:
            data_root (str, optional): Dataset root.
            layout (str): A key of :attr:`LAYOUTS` or ``'auto'``.

        Returns:
            dict: ``dict(img_path=..., seg_map_path=...)``, relative to
            ``data_root``.
        """
        if layout != 'auto':
            return dict(cls.LAYOUTS[layout])
        root = data_root or ''
        for prefix in cls.LAYOUTS.values():
            if all(osp.isdir(osp.join(root, p)) for p in prefix.values()):
                return dict(prefix)
        tried = '; '.join(f"'{p['img_path']}' + '{p['seg_map_path']}'"
                          for p in cls.LAYOUTS.values())
        raise FileNotFoundError(
            f'`data_root` {data_root!r} holds none of the CVC-ClinicDB '
            f'layouts ({tried}); set `layout` or `data_prefix`')
