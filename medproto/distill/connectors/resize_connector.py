# Copyright (c) medproto contributors. All rights reserved.
"""Parameter-free spatial resize connector."""
from numbers import Real
from typing import Optional, Sequence, Tuple, Union

import torch.nn.functional as F
from torch import Tensor, nn

from medproto.distill.losses.utils import check_choice, check_positive_int
from medproto.registry import MODELS

_MODES = ('nearest', 'bilinear', 'bicubic', 'area', 'nearest-exact')


@MODELS.register_module()
class ResizeConnector(nn.Module):
    """Resize a feature map to a fixed size or by a scale factor.

    Give exactly one of ``size`` and ``scale_factor``.

    Args:
        size (int | Sequence[int], optional): Output (H, W) (an int means
            square). Defaults to None.
        scale_factor (float, optional): Output = input size * factor
            (> 0). Defaults to None.
        mode (str): Interpolation mode of :func:`torch.nn.functional.
            interpolate`. Defaults to ``'bilinear'``.
        align_corners (bool, optional): Only for ``'bilinear'`` /
            ``'bicubic'``. Defaults to False.
    """

    def __init__(self,
                 size: Optional[Union[int, Sequence[int]]] = None,
                 scale_factor: Optional[float] = None,
                 mode: str = 'bilinear',
                 align_corners: Optional[bool] = False) -> None:
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError('ResizeConnector needs exactly one of size and '
                             f'scale_factor, got size={size!r}, '
                             f'scale_factor={scale_factor!r}')
        self.size: Optional[Tuple[int, int]] = None
        if size is not None:
            pair = (size, size) if isinstance(size, int) else tuple(size)
            if len(pair) != 2:
                raise ValueError(
                    f'size must be an int or (H, W), got {size!r}')
            self.size = (check_positive_int('size[0]', pair[0]),
                         check_positive_int('size[1]', pair[1]))
        if scale_factor is not None and (isinstance(scale_factor, bool)
                                         or not isinstance(scale_factor, Real)
                                         or scale_factor <= 0):
            raise ValueError(
                f'scale_factor must be a number > 0, got {scale_factor!r}')
        self.scale_factor = scale_factor
        self.mode = check_choice('mode', mode, _MODES)
        self.align_corners = align_corners if mode in ('bilinear',
                                                       'bicubic') else None

    def forward(self, x: Tensor) -> Tensor:
        """Resize (N, C, H, W) to (N, C, H', W')."""
        return F.interpolate(
            x,
            size=self.size,
            scale_factor=self.scale_factor,
            mode=self.mode,
            align_corners=self.align_corners)

    def extra_repr(self) -> str:
        return (f'size={self.size}, scale_factor={self.scale_factor}, '
                f'mode={self.mode!r}')
