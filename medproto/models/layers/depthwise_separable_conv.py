# Copyright (c) medproto contributors. All rights reserved.
"""Depthwise-separable convolution with a normalisation in between.

``DW(k, d) -> norm -> PW`` with biases and *no* activation: MALUNet's
``DepthWiseConv2d`` (Ruan et al., BIBM 2022), the building block of its
gated attention unit, and the local helper of MicroAUNet's lightweight DGA.
"""
from typing import Optional

import torch
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from .arg_checks import check_odd_kernel_size, check_positive_int
from .fusion import bn_to_affine, fuse_affine_conv1x1, fuse_conv_bn
from .pointwise_conv import PointwiseConv2d

__all__ = ['DepthwiseSeparableConv', 'is_batch_norm']

_BATCH_NORMS = ('BN', 'BN1d', 'BN2d', 'BN3d', 'SyncBN')


def is_batch_norm(norm_cfg: Optional[dict]) -> bool:
    """Whether a norm config builds a BatchNorm (which cancels any
    per-channel bias or scale applied right before it, in training).

    Args:
        norm_cfg (dict, optional): An mmcv norm config.

    Returns:
        bool: True for the BatchNorm types of :func:`build_norm_layer`.
    """
    return norm_cfg is not None and norm_cfg.get('type') in _BATCH_NORMS


class DepthwiseSeparableConv(nn.Module):
    """``DW(k x k, dilation d) -> norm -> PW(1 x 1)``, both convs with bias.

    Args:
        in_channels (int): Input channels ``C_in``.
        out_channels (int): Output channels ``C_out``.
        kernel_size (int): Odd depthwise kernel size. Defaults to 3.
        dilation (int): Depthwise dilation; the padding keeps the size.
            Defaults to 1.
        norm_cfg (dict, optional): Normalisation over the ``C_in`` depthwise
            outputs, built by :func:`mmcv.cnn.build_norm_layer`. MALUNet
            uses ``dict(type='GN', num_groups=4)`` (the default); ``BN``
            makes the block foldable by :meth:`fuse`. None for no norm.
        dw_bias (bool, optional): Bias of the depthwise conv. None (default)
            means "unless the norm is a BatchNorm", which would cancel it.
        depthwise (bool): Use the depthwise conv. False gives ``norm -> PW``
            and needs ``kernel_size == 1``: a 1x1 depthwise conv is a
            per-channel affine map, which a following BatchNorm cancels in
            training (up to its sign and ``eps``). Defaults to True.

    Shape:
        - Input: (B, C_in, H, W).
        - Output: (B, C_out, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 dilation: int = 1,
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=4),
                 dw_bias: Optional[bool] = None,
                 depthwise: bool = True) -> None:
        super().__init__()
        check_positive_int('in_channels', in_channels)
        check_positive_int('out_channels', out_channels)
        check_positive_int('dilation', dilation)
        check_odd_kernel_size(kernel_size)
        if not depthwise and (kernel_size != 1 or dilation != 1):
            raise ValueError('depthwise=False needs kernel_size=1 and '
                             f'dilation=1, got {kernel_size} and {dilation}')
        self.dw = nn.Identity() if not depthwise else nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size,
            padding=dilation * (kernel_size - 1) // 2,
            dilation=dilation,
            groups=in_channels,
            bias=(not is_batch_norm(norm_cfg)) if dw_bias is None else
            dw_bias)
        self.norm = nn.Identity() if norm_cfg is None else build_norm_layer(
            norm_cfg, in_channels)[1]
        self.pw = PointwiseConv2d(in_channels, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block.

        Args:
            x (Tensor): Shape (B, C_in, H, W).

        Returns:
            Tensor: Shape (B, C_out, H, W).
        """
        return self.pw(self.norm(self.dw(x)))

    def fuse(self) -> None:
        """Fold the (BatchNorm or absent) norm into the convs, in place.

        The depthwise conv absorbs the BatchNorm. A 1x1 depthwise conv is a
        per-channel affine map, so with ``kernel_size == 1`` the whole block
        collapses into the pointwise conv. A GroupNorm depends on the
        sample and is left as it is. Idempotent.
        """
        if isinstance(self.norm, nn.BatchNorm2d):
            if isinstance(self.dw, nn.Identity):
                self.pw = fuse_affine_conv1x1(*bn_to_affine(self.norm),
                                              self.pw)
            else:
                self.dw = fuse_conv_bn(self.dw, self.norm)
            self.norm = nn.Identity()
        if isinstance(self.norm, nn.Identity) and isinstance(
                self.dw, nn.Conv2d) and self.dw.kernel_size == (1, 1):
            scale = self.dw.weight.detach().view(-1)
            shift = self.dw.bias.detach() if self.dw.bias is not None \
                else torch.zeros_like(scale)
            self.pw = fuse_affine_conv1x1(scale, shift, self.pw)
            self.dw = nn.Identity()
