# Copyright (c) medproto contributors. All rights reserved.
"""Load a binary segmentation mask from JPEG / PNG / TIF, RGB or gray."""
from typing import Optional, Tuple

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

#: How many bytes at the end of a file are searched for its end marker.
_TAIL_BYTES = 64
#: (leading signature, end marker) of the formats checked for truncation;
#: the format is read from the file's first bytes, not from its name (a
#: PNG named ``.jpg`` is a PNG).
_END_MARKERS = (
    (b'\xff\xd8', b'\xff\xd9'),  # JPEG: SOI ... EOI
    (b'\x89PNG\r\n\x1a\n', b'IEND'),  # PNG: signature ... IEND chunk
)


def read_image_checked(path: str,
                       flag: str = 'unchanged',
                       backend_args: Optional[dict] = None) -> np.ndarray:
    """Read and decode an image, naming the file in every error.

    Besides decoding failures, JPEG and PNG files whose end marker is missing
    are refused as truncated: some decoders silently return a partial image
    for them.

    Args:
        path (str): The image file.
        flag (str): mmcv decode flag. Defaults to ``'unchanged'``.
        backend_args (dict, optional): mmengine file backend arguments.

    Returns:
        np.ndarray: The decoded image (channel order BGR for colour images).

    Raises:
        OSError: If the file cannot be read, is truncated or cannot be
            decoded.
    """
    try:
        data = fileio.get(path, backend_args=backend_args)
    except OSError as err:
        raise OSError(f'cannot read image file {path!r}: {err}') from err
    marker = next((end for start, end in _END_MARKERS
                   if data.startswith(start)), None)
    if marker is not None and marker not in data[-_TAIL_BYTES:]:
        raise OSError(f'image file {path!r} is truncated (its end marker '
                      f'{marker!r} is missing)')
    image = mmcv.imfrombytes(data, flag=flag, backend='cv2')
    if image is None:
        raise OSError(f'image file {path!r} cannot be decoded: it is not an '
                      f'image or it is corrupt')
    return image


@TRANSFORMS.register_module()
class LoadBinaryMask(BaseTransform):
    """Load a mask file and threshold it to ``{0: background, 1: foreground}``.

    The mask may be JPEG, PNG or TIF, gray or RGB(A) (the channel maximum is
    used), 8 or 16 bit. A mask whose levels are already ``{0, 1}`` is kept as
    it is; any other mask is thresholded (``>= threshold`` is foreground).
    Because thresholding always yields two levels, the transform checks the
    *raw* mask instead and refuses, naming the file:

    * a multi-level label map (e.g. levels ``{0, 1, 2}``) or any mask none
      of whose levels reaches the threshold, except an empty ``{0}`` mask;
    * a mask with many mid-range levels (more than ``max_mid_fraction`` of the
      pixels strictly inside ``mid_range``), e.g. a soft or gray-scale map;
      JPEG artefacts (levels 1..8 and 247..254) pass;
    * a mask whose size differs from the image's (both files are named);
    * an unreadable or truncated file.

    Required keys: ``seg_map_path``; optional ``mask_threshold`` (set by
    medproto's segmentation datasets), ``ori_shape`` / ``img`` and
    ``img_path`` for the size check.
    Added keys: ``gt_seg_map`` (uint8, H x W), ``seg_fields``.

    Args:
        threshold (int, optional): Foreground threshold in ``[1, 255]``. None
            uses the sample's ``mask_threshold`` (from the dataset), or 128.
            Defaults to None.
        max_mid_fraction (float): Largest allowed fraction of mid-range pixels
            in ``[0, 1]``. Defaults to 0.05.
        mid_range (tuple[int, int]): Exclusive ``(low, high)`` gray levels
            that count as mid-range. Defaults to ``(64, 192)``.
        check_size (bool): Check that mask and image sizes match. Defaults to
            True.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
    """

    DEFAULT_THRESHOLD = 128

    def __init__(self,
                 threshold: Optional[int] = None,
                 max_mid_fraction: float = 0.05,
                 mid_range: Tuple[int, int] = (64, 192),
                 check_size: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        if threshold is not None:
            self._check_threshold(threshold, 'threshold')
        if not 0.0 <= max_mid_fraction <= 1.0:
            raise ValueError(f'`max_mid_fraction` must be in [0, 1], got '
                             f'{max_mid_fraction}')
        if (len(mid_range) != 2
                or not 0 <= mid_range[0] < mid_range[1] <= 255):
            raise ValueError(f'`mid_range` must be (low, high) with '
                             f'0 <= low < high <= 255, got {mid_range!r}')
        self.threshold = threshold
        self.max_mid_fraction = max_mid_fraction
        self.mid_range = tuple(mid_range)
        self.check_size = check_size
        self.backend_args = backend_args

    @staticmethod
    def _check_threshold(value: int, key: str) -> None:
        """Refuse a threshold that is not an int in ``[1, 255]``."""
        if not (isinstance(value, (int, np.integer)) and 1 <= value <= 255):
            raise ValueError(
                f'`{key}` must be an int in [1, 255], got {value!r}')

    @staticmethod
    def _to_gray8(raw: np.ndarray, path: str) -> np.ndarray:
        """Reduce a decoded mask to one 8-bit channel.

        Args:
            raw (np.ndarray): Decoded mask, H x W or H x W x C.
            path (str): Mask file, for messages.

        Returns:
            np.ndarray: uint8 H x W.
        """
        if raw.ndim == 3:
            raw = raw[..., :3].max(axis=2)
        elif raw.ndim != 2:
            raise ValueError(f'mask {path!r} has shape {raw.shape}; expected '
                             f'H x W or H x W x C')
        if raw.dtype == np.bool_:
            return raw.astype(np.uint8)
        if raw.dtype == np.uint16:
            if raw.max() <= 1:
                return raw.astype(np.uint8)
            return np.round(raw / 257.0).astype(np.uint8)
        if raw.dtype != np.uint8:
            raise TypeError(f'mask {path!r} has pixel type {raw.dtype}; '
                            f'expected 8- or 16-bit integers')
        return raw

    def _binarize(self, gray: np.ndarray, threshold: int,
                  path: str) -> np.ndarray:
        """Check the raw levels of a mask and threshold it.

        Args:
            gray (np.ndarray): uint8 H x W mask.
            threshold (int): Foreground threshold.
            path (str): Mask file, for messages.

        Returns:
            np.ndarray: uint8 H x W with values in ``{0, 1}``.
        """
        hist = np.bincount(gray.ravel(), minlength=256)
        levels = np.flatnonzero(hist)
        if levels[-1] <= 1:
            return gray.astype(np.uint8, copy=False)
        if levels[-1] < threshold:
            raise ValueError(
                f'mask {path!r} is not a binary mask: its levels '
                f'{levels[:8].tolist()} all lie below the threshold '
                f'{threshold} (a multi-class label map, or a wrong threshold)')
        low, high = self.mid_range
        mid_fraction = hist[low + 1:high].sum() / gray.size
        if mid_fraction > self.max_mid_fraction:
            raise ValueError(
                f'mask {path!r} is not a binary mask: {mid_fraction:.1%} of '
                f'its pixels lie strictly between {low} and {high} (at most '
                f'{self.max_mid_fraction:.1%} allowed)')
        return (gray >= threshold).astype(np.uint8)

    @staticmethod
    def _check_same_size(results: dict, mask: np.ndarray, path: str) -> None:
        """Refuse a mask whose size differs from its image's original size."""
        if 'ori_shape' in results:
            img_hw = tuple(results['ori_shape'][:2])
        elif 'img' in results:
            img_hw = tuple(results['img'].shape[:2])
        else:
            return
        if tuple(mask.shape[:2]) != img_hw:
            raise ValueError(
                f'mask {path!r} is {mask.shape[1]}x{mask.shape[0]} (WxH) but '
                f'its image {results.get("img_path")!r} is '
                f'{img_hw[1]}x{img_hw[0]}')

    def transform(self, results: dict) -> dict:
        """Load, check and threshold the mask of one sample.

        Args:
            results (dict): Result dict with ``seg_map_path``.

        Returns:
            dict: ``results`` with ``gt_seg_map`` added.
        """
        if 'seg_map_path' not in results:
            raise KeyError(f'LoadBinaryMask needs `seg_map_path` in the '
                           f'sample; got keys {sorted(results)}')
        path = results['seg_map_path']
        threshold = self.threshold
        if threshold is None:
            threshold = results.get('mask_threshold', self.DEFAULT_THRESHOLD)
            self._check_threshold(threshold, 'mask_threshold')
        raw = read_image_checked(path, 'unchanged', self.backend_args)
        mask = self._binarize(self._to_gray8(raw, path), threshold, path)
        if self.check_size:
            self._check_same_size(results, mask, path)
        results['gt_seg_map'] = mask
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in seg_fields:
            seg_fields.append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(threshold={self.threshold}, '
                f'max_mid_fraction={self.max_mid_fraction}, '
                f'mid_range={self.mid_range}, check_size={self.check_size})')
