# Copyright (c) medproto contributors. All rights reserved.
"""Replayable geometric augmentation: K fixed views per training image."""
from numbers import Real
from typing import Dict, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

#: Key of the view index in the results dict (and in the data samples'
#: metainfo once it is listed in ``meta_keys``).
VIEW_KEY = 'view_idx'
_FLIP_DIRECTIONS = {(True, False): 'horizontal', (False, True): 'vertical',
                    (True, True): 'diagonal'}


@TRANSFORMS.register_module()
class ViewAugment(BaseTransform):
    """Crop, flip and rotate with parameters fixed per (image, view).

    Every training image ``i`` has ``num_views`` views; the parameters of
    view ``k`` (crop offset, horizontal / vertical flip, rotation angle) are
    drawn from a NumPy generator seeded with ``(seed, i, k)``, so they are
    the same in every process, epoch and run. In training the view index is
    drawn uniformly from ``range(num_views)``; a ``view_idx`` already in the
    results (as the teacher-cache builder sets it) is used instead. The
    view index is written to ``results['view_idx']`` (list it in the
    packing transform's ``meta_keys``), so a distiller can look up the
    teacher's outputs on exactly this view ("consistent teaching", Beyer et
    al., CVPR 2022: the teacher must see the student's augmented view).

    With ``num_views`` large the views follow the distribution of the
    pipeline ``RandomCrop -> RandomFlip(h) -> RandomFlip(v) ->
    RandomRotate``, applied in this order with the same OpenCV calls
    (``mmcv.imflip``; ``mmcv.imrotate`` about the image centre, bilinear for
    the image and nearest for the masks), so one view is bit-identical to
    those transforms given the same parameters.

    Required keys: ``img``, ``sample_idx`` (set by mmengine's datasets);
    optional ``view_idx``, ``seg_fields``.
    Modified keys: ``img``, ``img_shape``, the ``seg_fields``.
    Added keys: ``view_idx``, ``flip``, ``flip_direction``, ``rotate_angle``.

    Args:
        num_views (int): K, the views per image (>= 1).
        seed (int): Seed of the view parameters (>= 0). Defaults to 0.
        hflip_prob (float): Probability of a horizontal flip. Defaults to
            0.5.
        vflip_prob (float): Probability of a vertical flip. Defaults to 0.5.
        rotate_prob (float): Probability of a rotation. Defaults to 0.5.
        degree (float | tuple[float, float]): Angle range in degrees
            (counter-clockwise); a number ``d`` means ``(-d, d)``. Defaults
            to 180.
        pad_val (float): Image value of the corners a rotation uncovers.
            Defaults to 0.
        seg_pad_val (int): Mask value of those corners. Defaults to 0
            (background).
        crop_size (tuple[int, int], optional): ``(h, w)`` of a crop taken
            first, at an offset drawn uniformly. Defaults to None (no crop).
    """

    def __init__(self,
                 num_views: int,
                 seed: int = 0,
                 hflip_prob: float = 0.5,
                 vflip_prob: float = 0.5,
                 rotate_prob: float = 0.5,
                 degree: Union[float, Tuple[float, float]] = 180,
                 pad_val: float = 0,
                 seg_pad_val: int = 0,
                 crop_size: Optional[Sequence[int]] = None) -> None:
        self.num_views = _check_int('num_views', num_views, 1)
        self.seed = _check_int('seed', seed, 0)
        for name, prob in (('hflip_prob', hflip_prob),
                           ('vflip_prob', vflip_prob),
                           ('rotate_prob', rotate_prob)):
            if (isinstance(prob, bool) or not isinstance(prob, Real)
                    or not 0 <= prob <= 1):
                raise ValueError(f'ViewAugment: {name} must be a number in '
                                 f'[0, 1], got {prob!r}')
        self.hflip_prob = float(hflip_prob)
        self.vflip_prob = float(vflip_prob)
        self.rotate_prob = float(rotate_prob)
        self.degree = _check_degree(degree)
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val
        if crop_size is not None:
            if (not isinstance(crop_size, (tuple, list))
                    or len(crop_size) != 2):
                raise ValueError('ViewAugment: crop_size must be (h, w), got '
                                 f'{crop_size!r}')
            crop_size = tuple(_check_int('crop_size', c, 1)
                              for c in crop_size)
        self.crop_size = crop_size

    def view_params(self, sample_idx: int, view_idx: int) -> Dict:
        """The parameters of view ``view_idx`` of sample ``sample_idx``.

        Every number is drawn whether it is used or not, so changing one
        probability leaves the other parameters of a view unchanged.

        Args:
            sample_idx (int): Index of the image in its dataset (>= 0).
            view_idx (int): View index in ``[0, num_views)``.

        Returns:
            dict: ``crop`` (``(fy, fx)`` in [0, 1): the offset as a fraction
            of the free range, or None), ``hflip`` / ``vflip`` (bool) and
            ``angle`` (float degrees, or None for no rotation).
        """
        if not 0 <= view_idx < self.num_views:
            raise ValueError(f'ViewAugment: view_idx {view_idx} is outside '
                             f'[0, num_views={self.num_views})')
        if sample_idx < 0:
            raise ValueError(f'ViewAugment: sample_idx must be >= 0, got '
                             f'{sample_idx}')
        rng = np.random.default_rng([self.seed, int(sample_idx),
                                     int(view_idx)])
        u_h, u_v, u_r, u_y, u_x = rng.random(5)
        angle = float(rng.uniform(*self.degree))
        return dict(
            crop=(float(u_y), float(u_x)) if self.crop_size else None,
            hflip=bool(u_h < self.hflip_prob),
            vflip=bool(u_v < self.vflip_prob),
            angle=angle if u_r < self.rotate_prob else None)

    def apply(self, results: dict, params: Dict) -> dict:
        """Apply explicit view parameters to the image and the masks.

        Args:
            results (dict): Results with ``img`` (H, W[, C]) and the masks
                named in ``seg_fields``.
            params (dict): As returned by :meth:`view_params`.

        Returns:
            dict: ``results``, changed in place.
        """
        keys = ['img', *results.get('seg_fields', [])]
        if params['crop'] is not None:
            self._crop(results, keys, params['crop'])
        direction = _FLIP_DIRECTIONS.get((params['hflip'], params['vflip']))
        for flip, axis in ((params['hflip'], 'horizontal'),
                           (params['vflip'], 'vertical')):
            if flip:
                for key in keys:
                    results[key] = mmcv.imflip(results[key], direction=axis)
        results['flip'] = direction is not None
        results['flip_direction'] = direction
        angle = params['angle']
        if angle is not None:
            results['img'] = mmcv.imrotate(results['img'], angle=angle,
                                           border_value=self.pad_val)
            for key in keys[1:]:
                results[key] = mmcv.imrotate(
                    results[key], angle=angle, border_value=self.seg_pad_val,
                    interpolation='nearest')
        results['rotate_angle'] = angle
        results['img_shape'] = results['img'].shape[:2]
        return results

    def _crop(self, results: dict, keys: list, offset: Tuple[float,
                                                             float]) -> None:
        h, w = results['img'].shape[:2]
        ch, cw = self.crop_size
        if ch > h or cw > w:
            raise ValueError(
                f'ViewAugment: crop_size {self.crop_size} is larger than the '
                f'image {(h, w)} of {results.get("img_path", "the sample")}')
        y0 = int(offset[0] * (h - ch + 1))
        x0 = int(offset[1] * (w - cw + 1))
        for key in keys:
            results[key] = results[key][y0:y0 + ch, x0:x0 + cw, ...]

    def transform(self, results: dict) -> dict:
        """Apply view ``results['view_idx']`` (drawn when absent).

        Args:
            results (dict): Results with ``img`` and ``sample_idx``.

        Returns:
            dict: The augmented results with ``view_idx``.
        """
        if 'sample_idx' not in results:
            raise KeyError('ViewAugment needs `sample_idx` in the results '
                           '(mmengine datasets set it); got keys '
                           f'{sorted(results)}')
        view_idx = results.get(VIEW_KEY)
        if view_idx is None:
            view_idx = int(np.random.randint(self.num_views))
        results[VIEW_KEY] = int(view_idx)
        params = self.view_params(int(results['sample_idx']), int(view_idx))
        return self.apply(results, params)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_views={self.num_views}, '
                f'seed={self.seed}, hflip_prob={self.hflip_prob}, '
                f'vflip_prob={self.vflip_prob}, rotate_prob='
                f'{self.rotate_prob}, degree={self.degree}, pad_val='
                f'{self.pad_val}, seg_pad_val={self.seg_pad_val}, '
                f'crop_size={self.crop_size})')


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or value < minimum:
        raise ValueError(f'ViewAugment: {name} must be an int >= {minimum}, '
                         f'got {value!r}')
    return int(value)


def _check_degree(degree) -> Tuple[float, float]:
    if isinstance(degree, Real) and not isinstance(degree, bool):
        if degree < 0:
            raise ValueError(f'ViewAugment: degree must be >= 0, got '
                             f'{degree!r}')
        return (-float(degree), float(degree))
    if (isinstance(degree, (tuple, list)) and len(degree) == 2
            and all(isinstance(d, Real) and not isinstance(d, bool)
                    for d in degree) and degree[0] <= degree[1]):
        return (float(degree[0]), float(degree[1]))
    raise ValueError('ViewAugment: degree must be a number >= 0 or a '
                     f'(min, max) pair with min <= max, got {degree!r}')
