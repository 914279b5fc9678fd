# Copyright (c) medproto contributors. All rights reserved.
"""Depthwise-separable dilated convolution (DWDConv) and the DWD block.

Wang et al., "MicroAUNet: Boundary-Enhanced Multi-scale Fusion with
Knowledge Distillation for Colonoscopy Polyp Image Segmentation", 2025
(arXiv 2511.01143); public code JeremyXSC/MicroAUNet (``models/maunet.py``,
``DepthwiseSeparableDilatedConv`` and ``DWDBlock``).
"""
from typing import Optional

import torch.nn.functional as F
from mmcv.cnn import build_activation_layer
from torch import Tensor, nn

from .arg_checks import check_odd_kernel_size, check_positive_int
from .fusion import fuse_conv_bn
from .pointwise_conv import PointwiseConv2d

__all__ = ['DWDConv', 'DWDBlock']


class DWDConv(nn.Module):
    """``DW(k, dilation) -> BN -> act -> PW -> BN -> act``, convs bias-free.

    Args:
        in_channels (int): Input channels ``C_in``.
        out_channels (int): Output channels ``C_out``.
        kernel_size (int): Odd depthwise kernel size. Defaults to 3.
        dilation (int): Depthwise dilation (same-size padding).
            Defaults to 1.
        stride (int): Depthwise stride; 2 halves the size (a learned
            downsampling that replaces a max-pooling after the conv).
            Defaults to 1.
        act_cfg (dict, optional): Activation after each BN, built by
            :func:`mmcv.cnn.build_activation_layer`; None for identity.
            Defaults to ``dict(type='ReLU', inplace=True)``.

    Shape:
        - Input: (B, C_in, H, W).
        - Output: (B, C_out, H / stride, W / stride) for even H and W.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 dilation: int = 1,
                 stride: int = 1,
                 act_cfg: Optional[dict] = dict(type='ReLU', inplace=True)
                 ) -> None:
        super().__init__()
        for name, value in (('in_channels', in_channels),
                            ('out_channels', out_channels),
                            ('dilation', dilation), ('stride', stride)):
            check_positive_int(name, value)
        check_odd_kernel_size(kernel_size)
        self.dw = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size,
            padding=dilation * (kernel_size - 1) // 2,
            dilation=dilation,
            stride=stride,
            groups=in_channels,
            bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.pw = PointwiseConv2d(in_channels, out_channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.act = nn.Identity() if act_cfg is None else \
            build_activation_layer(act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the convolution.

        Args:
            x (Tensor): Shape (B, C_in, H, W).

        Returns:
            Tensor: Shape (B, C_out, H, W).
        """
        x = self.act(self.bn1(self.dw(x)))
        return self.act(self.bn2(self.pw(x)))

    def fuse(self) -> None:
        """Fold both BatchNorms into the convs (inference only; idempotent).
        """
        if isinstance(self.bn1, nn.BatchNorm2d):
            self.dw = fuse_conv_bn(self.dw, self.bn1)
            self.bn1 = nn.Identity()
        if isinstance(self.bn2, nn.BatchNorm2d):
            self.pw = fuse_conv_bn(self.pw, self.bn2)
            self.bn2 = nn.Identity()


class DWDBlock(nn.Module):
    """``GELU(DWDConv_1(GELU(DWDConv_d(x))) + x)``: a residual DWD pair.

    Args:
        channels (int): Channels ``C`` (input = output).
        dilation (int): Dilation of the first DWDConv (the second has 1).
            Defaults to 2.
        act_cfg (dict, optional): Activation inside the DWDConvs.
            Defaults to ``dict(type='ReLU', inplace=True)``.

    Shape:
        - Input: (B, C, H, W).
        - Output: (B, C, H, W).
    """

    def __init__(self,
                 channels: int,
                 dilation: int = 2,
                 act_cfg: Optional[dict] = dict(type='ReLU', inplace=True)
                 ) -> None:
        super().__init__()
        self.conv1 = DWDConv(channels, channels, dilation=dilation,
                             act_cfg=act_cfg)
        self.conv2 = DWDConv(channels, channels, dilation=1, act_cfg=act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block.

        Args:
            x (Tensor): Shape (B, C, H, W).

        Returns:
            Tensor: Shape (B, C, H, W).
        """
        return F.gelu(self.conv2(F.gelu(self.conv1(x))) + x)
