# Copyright (c) medproto contributors. All rights reserved.
"""Feed an in-memory image array (e.g. from a MedMNIST ``.npz``) into a
pipeline."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImageFromNDArray(BaseTransform):
    """Start a pipeline from ``results['img']``, an image array already in
    memory, the way ``LoadImageFromFile`` starts it from a path.

    The array is checked (uint8, ``H x W`` or ``H x W x 1/3``), optionally
    expanded to three channels and reordered, and ``img_shape`` /
    ``ori_shape`` are set. mmcv's file loaders return BGR images; with the
    default ``channel_order='bgr'`` an RGB array is turned into BGR so that
    later transforms and the data preprocessor (``to_rgb=True``) treat both
    sources the same.

    Required keys: ``img``. Modified keys: ``img``. Added keys:
    ``img_shape``, ``ori_shape``.

    Args:
        color_type (str): ``'color'`` makes gray images 3-channel,
            ``'unchanged'`` keeps their channels. Defaults to ``'color'``.
        channel_order (str): ``'bgr'`` or ``'rgb'``: the order of the output
            channels, the input being RGB. Defaults to ``'bgr'``.
        to_float32 (bool): Convert the image to float32. Defaults to False.
    """

    def __init__(self,
                 color_type: str = 'color',
                 channel_order: str = 'bgr',
                 to_float32: bool = False) -> None:
        if color_type not in ('color', 'unchanged'):
            raise ValueError(f"`color_type` must be 'color' or 'unchanged', "
                             f'got {color_type!r}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"`channel_order` must be 'bgr' or 'rgb', got "
                             f'{channel_order!r}')
        self.color_type = color_type
        self.channel_order = channel_order
        self.to_float32 = to_float32

    def transform(self, results: dict) -> dict:
        """Check and prepare ``results['img']``.

        Args:
            results (dict): Result dict holding an ``img`` array.

        Returns:
            dict: ``results`` with the prepared image and its shapes.
        """
        img = results.get('img')
        where = f'sample {results.get("sample_idx", "?")}'
        if not isinstance(img, np.ndarray):
            raise TypeError(f'LoadImageFromNDArray needs a numpy array in '
                            f'`img` ({where}), got {type(img).__name__}')
        if img.dtype != np.uint8 or img.ndim not in (2, 3) or (
                img.ndim == 3 and img.shape[2] not in (1, 3)):
            raise ValueError(f'`img` of {where} has shape {img.shape} and '
                             f'type {img.dtype}; expected uint8 H x W or '
                             f'H x W x 1/3')
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[..., 0]
        if img.ndim == 2 and self.color_type == 'color':
            img = np.repeat(img[..., None], 3, axis=2)
        elif img.ndim == 3 and self.channel_order == 'bgr':
            img = img[..., ::-1]
        img = np.ascontiguousarray(img)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(color_type={self.color_type!r}, '
                f'channel_order={self.channel_order!r}, '
                f'to_float32={self.to_float32})')
