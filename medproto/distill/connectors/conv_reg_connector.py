# Copyright (c) medproto contributors. All rights reserved.
"""FitNets-style convolutional regressor (mdistiller's ConvReg)."""
from typing import Optional, Sequence, Tuple

from torch import Tensor, nn

from medproto.distill.losses.utils import check_positive_int
from medproto.registry import MODELS
from .utils import check_bool, conv_norm_act


def _parse_shape(name: str, shape: Sequence[int]) -> Tuple[int, int, int]:
    """``(C, H, W)`` or ``(N, C, H, W)`` -> validated ``(C, H, W)``."""
    if not isinstance(shape, (list, tuple)) or len(shape) not in (3, 4):
        raise ValueError(f'{name} must be (C, H, W) or (N, C, H, W), got '
                         f'{shape!r}')
    c, h, w = shape[-3:]
    return (check_positive_int(f'{name}[C]', c),
            check_positive_int(f'{name}[H]', h),
            check_positive_int(f'{name}[W]', w))


def _resolve_channels(name: str, given: Optional[int],
                      from_shape: Optional[int]) -> int:
    """Pick the channel count from the argument or the shape; they agree."""
    if given is None and from_shape is None:
        raise ValueError(f'ConvRegConnector needs {name} or the shapes')
    if given is not None:
        check_positive_int(name, given)
        if from_shape is not None and given != from_shape:
            raise ValueError(f'{name}={given} disagrees with the channel '
                             f'count {from_shape} of the given shape')
        return given
    return from_shape


@MODELS.register_module()
class ConvRegConnector(nn.Module):
    """Regress a student feature onto the teacher's (C, H, W).

    The convolution is chosen from the spatial sizes as in mdistiller's
    ``ConvReg`` (FitNets, Romero et al., ICLR 2015):

    * ``H_S = 2 H_T`` (and W): Conv 3x3, stride 2, padding 1;
    * ``2 H_S = H_T`` (and W): ConvTranspose 4x4, stride 2, padding 1;
    * ``H_S >= H_T`` and ``W_S >= W_T``: Conv with kernel
      ``(1 + H_S - H_T, 1 + W_S - W_T)`` (1x1 for equal sizes);

    then BatchNorm2d and, with ``relu=True``, ReLU. Without shapes the
    spatial sizes are taken as equal (1x1 conv).

    Args:
        in_channels (int, optional): Student channels; taken from
            ``student_shape`` when None.
        out_channels (int, optional): Teacher channels; taken from
            ``teacher_shape`` when None.
        student_shape (Sequence[int], optional): Student feature
            ``(C, H, W)`` (or ``(N, C, H, W)``). Defaults to None.
        teacher_shape (Sequence[int], optional): Teacher feature
            ``(C, H, W)`` (or ``(N, C, H, W)``). Defaults to None.
        relu (bool): End with a ReLU (mdistiller's ``use_relu``).
            Defaults to True.
    """

    def __init__(self,
                 in_channels: Optional[int] = None,
                 out_channels: Optional[int] = None,
                 student_shape: Optional[Sequence[int]] = None,
                 teacher_shape: Optional[Sequence[int]] = None,
                 relu: bool = True) -> None:
        super().__init__()
        if (student_shape is None) != (teacher_shape is None):
            raise ValueError('give both student_shape and teacher_shape, or '
                             'neither (equal spatial sizes)')
        if student_shape is not None:
            c_s, h_s, w_s = _parse_shape('student_shape', student_shape)
            c_t, h_t, w_t = _parse_shape('teacher_shape', teacher_shape)
        else:
            c_s = c_t = None
            h_s = h_t = w_s = w_t = 1
        in_channels = _resolve_channels('in_channels', in_channels, c_s)
        out_channels = _resolve_channels('out_channels', out_channels, c_t)
        relu = check_bool('relu', relu)
        if h_s == 2 * h_t and w_s == 2 * w_t:
            conv = nn.Conv2d(
                in_channels, out_channels, 3, stride=2, padding=1, bias=False)
        elif 2 * h_s == h_t and 2 * w_s == w_t:
            conv = nn.ConvTranspose2d(
                in_channels, out_channels, 4, stride=2, padding=1, bias=False)
        elif h_s >= h_t and w_s >= w_t:
            conv = nn.Conv2d(
                in_channels,
                out_channels, (1 + h_s - h_t, 1 + w_s - w_t),
                bias=False)
        else:
            raise ValueError(
                f'ConvRegConnector cannot map a {h_s}x{w_s} student map to a '
                f'{h_t}x{w_t} teacher map (supported: equal, 2x larger, 2x '
                'smaller or any larger student size); add a '
                'medproto.ResizeConnector before it')
        self.layers = conv_norm_act(conv, out_channels, norm=True, relu=relu)

    def forward(self, x: Tensor) -> Tensor:
        """Map (N, C_S, H_S, W_S) to (N, C_T, H_T, W_T)."""
        return self.layers(x)
