# Copyright (c) medproto contributors. All rights reserved.
"""A dense ``Conv -> BN -> act`` unit that folds its BatchNorm for inference.

The standard stem of mobile networks (MobileNetV2, Sandler et al., CVPR
2018: a full 3x3 stride-2 convolution on the RGB image before any
depthwise-separable block).
"""
from typing import Optional

from mmcv.cnn import build_activation_layer
from torch import Tensor, nn

from .arg_checks import check_odd_kernel_size, check_positive_int
from .fusion import fuse_conv_bn

__all__ = ['ConvBNAct']


class ConvBNAct(nn.Module):
    """``act(BN(Conv(x)))`` with a bias-free dense convolution.

    Args:
        in_channels (int): Input channels ``C_in``.
        out_channels (int): Output channels ``C_out``.
        kernel_size (int): Odd kernel size (same-size padding).
            Defaults to 3.
        stride (int): Stride. Defaults to 1.
        act_cfg (dict, optional): Activation after the BN, built by
            :func:`mmcv.cnn.build_activation_layer`; None for identity.
            Defaults to ``dict(type='ReLU', inplace=True)``.

    Shape:
        - Input: (B, C_in, H, W).
        - Output: (B, C_out, H / stride, W / stride) for H and W divisible
          by ``stride``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 act_cfg: Optional[dict] = dict(type='ReLU', inplace=True)
                 ) -> None:
        super().__init__()
        for name, value in (('in_channels', in_channels),
                            ('out_channels', out_channels), ('stride',
                                                             stride)):
            check_positive_int(name, value)
        check_odd_kernel_size(kernel_size)
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.Identity() if act_cfg is None else \
            build_activation_layer(act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the unit.

        Args:
            x (Tensor): Shape (B, C_in, H, W).

        Returns:
            Tensor: Shape (B, C_out, H / stride, W / stride).
        """
        return self.act(self.bn(self.conv(x)))

    def fuse(self) -> None:
        """Fold the BatchNorm into the conv (inference only; idempotent)."""
        if isinstance(self.bn, nn.BatchNorm2d):
            self.conv = fuse_conv_bn(self.conv, self.bn)
            self.bn = nn.Identity()
