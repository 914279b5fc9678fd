# Copyright (c) medproto contributors. All rights reserved.
"""Encoder and decoder stages of the MALUNet-family U-Nets.

MALUNet (Ruan et al., BIBM 2022) and MicroAUNet (Wang et al., 2025) share
one U layout; only the stage *blocks* differ:

* encoder stage: ``GELU(MaxPool2(norm(block(x))))``; the deepest stage has
  neither norm nor pooling: ``GELU(block(x))``;
* decoder stage: ``GELU(Up2(norm(block(x)))) + skip`` with bilinear
  upsampling (``align_corners=True``); the deepest stage does not upsample.

Each stage is a module of its own, so a forward hook on it records exactly
the stage output (an encoder skip ``t_i`` or a fused decoder feature).
"""
from typing import List, Optional, Sequence, Tuple

import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

__all__ = [
    'EncoderStage', 'DecoderStage', 'check_unet_channels', 'check_unet_input',
    'check_out_indices'
]

#: Total downsampling of the five pooled encoder stages.
UNET_STRIDE = 32


def check_unet_channels(c_list: Sequence[int], divisor: int = 1) -> List[int]:
    """Validate the six stage widths of a MALUNet-family U-Net.

    Args:
        c_list (Sequence[int]): Widths of encoder1..encoder6.
        divisor (int): Every width must be a multiple of it (4 for
            GroupNorm(4) and the DGA split). Defaults to 1.

    Returns:
        list[int]: The widths.
    """
    widths = list(c_list)
    if len(widths) != 6 or not all(
            isinstance(c, int) and c > 0 and c % divisor == 0
            for c in widths):
        raise ValueError(f'c_list must be 6 positive ints divisible by '
                         f'{divisor}, got {c_list!r}')
    return widths


def check_unet_input(x: Tensor, in_channels: int) -> None:
    """Raise a ValueError unless ``x`` is (B, in_channels, H, W), H and W
    multiples of 32.

    Args:
        x (Tensor): The input batch.
        in_channels (int): Expected channels.
    """
    if x.dim() != 4 or x.shape[1] != in_channels:
        raise ValueError(f'expected input of shape (B, {in_channels}, H, W), '
                         f'got {tuple(x.shape)}')
    h, w = x.shape[-2:]
    if h % UNET_STRIDE or w % UNET_STRIDE:
        raise ValueError(f'input height and width must be multiples of '
                         f'{UNET_STRIDE} (five 2x poolings), got {h}x{w}; '
                         f'pad or resize the images (e.g. '
                         f'SegDataPreProcessor(size_divisor=32))')


def check_out_indices(out_indices: Sequence[int]) -> List[int]:
    """Validate decoder output indices (0 = decoder1 .. 4 = decoder5).

    Args:
        out_indices (Sequence[int]): Unique ints in [0, 4].

    Returns:
        list[int]: The indices.
    """
    indices = list(out_indices)
    if not indices or len(set(indices)) != len(indices) or not all(
            isinstance(i, int) and 0 <= i <= 4 for i in indices):
        raise ValueError('out_indices must be unique ints in [0, 4] '
                         f'(decoder1..decoder5), got {out_indices!r}')
    return indices


def _build_norm(norm_cfg: Optional[dict], channels: int) -> nn.Module:
    if norm_cfg is None:
        return nn.Identity()
    return build_norm_layer(norm_cfg, channels)[1]


class EncoderStage(nn.Module):
    """``GELU(MaxPool2(norm(block(x))))`` (or ``GELU(block(x))``).

    With ``norm_after_pool=True`` the order is ``GELU(norm(MaxPool2(
    block(x))))``: the norm runs on a quarter of the pixels. For a
    per-channel affine norm with positive scale both orders compute the same
    function (max-pooling commutes with increasing affine maps); in training
    a BatchNorm then takes its statistics from the pooled map.

    Args:
        block (nn.Module): The stage body, ``C_in -> C_out`` channels.
        out_channels (int): ``C_out``, the channels of the norm.
        norm_cfg (dict, optional): Norm after the block, built by
            :func:`mmcv.cnn.build_norm_layer`. None for no norm (the
            deepest stage). Defaults to ``dict(type='GN', num_groups=4)``.
        downsample (bool): Max-pool by 2 after the norm. Defaults to True.
        norm_after_pool (bool): Pool before normalising. Defaults to False
            (MALUNet's order).
        pool_first (bool): Pool the *input* instead, so that the block
            runs on a quarter of the pixels: ``GELU(norm(block(MaxPool2(
            x))))``. A different function from MALUNet's order (the block
            sees pooled features), and 4x cheaper. Needs ``downsample``.
            Defaults to False.

    Shape:
        - Input: (B, C_in, H, W).
        - Output: (B, C_out, H / 2, W / 2), or (B, C_out, H, W) without
          downsampling.
    """

    def __init__(self,
                 block: nn.Module,
                 out_channels: int,
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=4),
                 downsample: bool = True,
                 norm_after_pool: bool = False,
                 pool_first: bool = False) -> None:
        super().__init__()
        if not isinstance(block, nn.Module):
            raise TypeError(
                f'block must be an nn.Module, got {type(block).__name__}')
        if pool_first and not downsample:
            raise ValueError('pool_first=True needs downsample=True')
        self.block = block
        self.norm = _build_norm(norm_cfg, out_channels)
        self.downsample = bool(downsample)
        self.norm_after_pool = bool(norm_after_pool)
        self.pool_first = bool(pool_first)

    def forward(self, x: Tensor) -> Tensor:
        """Run the stage.

        Args:
            x (Tensor): Shape (B, C_in, H, W).

        Returns:
            Tensor: Shape (B, C_out, H', W').
        """
        if self.pool_first:
            return F.gelu(self.norm(self.block(F.max_pool2d(x, 2, 2))))
        x = self.block(x)
        if not self.norm_after_pool:
            x = self.norm(x)
        if self.downsample:
            x = F.max_pool2d(x, 2, 2)
        if self.norm_after_pool:
            x = self.norm(x)
        return F.gelu(x)


class DecoderStage(nn.Module):
    """``GELU(Up2(norm(block(x)))) + skip`` (bilinear, align_corners).

    Args:
        block (nn.Module): The stage body, ``C_in -> C_out`` channels.
        out_channels (int): ``C_out``, the channels of the norm and skip.
        norm_cfg (dict, optional): Norm after the block. Defaults to
            ``dict(type='GN', num_groups=4)``.
        upsample (bool): Upsample by 2 before the activation. Defaults to
            True.

    Shape:
        - Input: ``x`` (B, C_in, H, W) and ``skip`` (B, C_out, H', W').
        - Output: (B, C_out, H', W') with ``H' = 2H`` when upsampling.
    """

    def __init__(self,
                 block: nn.Module,
                 out_channels: int,
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=4),
                 upsample: bool = True) -> None:
        super().__init__()
        if not isinstance(block, nn.Module):
            raise TypeError(
                f'block must be an nn.Module, got {type(block).__name__}')
        self.block = block
        self.norm = _build_norm(norm_cfg, out_channels)
        self.upsample = bool(upsample)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        """Run the stage and add the skip.

        Args:
            x (Tensor): Deeper feature, shape (B, C_in, H, W).
            skip (Tensor): Encoder skip, shape (B, C_out, H', W').

        Returns:
            Tensor: Shape (B, C_out, H', W').
        """
        x = self.norm(self.block(x))
        if self.upsample:
            x = F.interpolate(
                x, scale_factor=2., mode='bilinear', align_corners=True)
        return F.gelu(x) + skip


def unet_forward(net: nn.Module, x: Tensor,
                 out_indices: Sequence[int]) -> Tuple[Tensor, ...]:
    """The five-level U pass shared by MALUNet and MAUNet.

    ``net`` has ``encoder1..encoder6``, ``bridge`` (or None) and
    ``decoder1..decoder5``; the pre-bridge outputs of ``encoder1..5`` are
    the skips t1..t5, and ``decoder_i`` adds skip ``t_{6-i}``.

    Args:
        net (nn.Module): The backbone.
        x (Tensor): Images, shape (B, C_in, H, W).
        out_indices (Sequence[int]): Decoder outputs to return.

    Returns:
        tuple[Tensor]: The selected decoder features.
    """
    skips = []
    out = x
    for stage in (net.encoder1, net.encoder2, net.encoder3, net.encoder4,
                  net.encoder5):
        out = stage(out)
        skips.append(out)
    if net.bridge is not None:
        skips = list(net.bridge(skips))
    out = net.encoder6(out)
    outs = []
    for stage, skip in zip((net.decoder1, net.decoder2, net.decoder3,
                            net.decoder4, net.decoder5), reversed(skips)):
        out = stage(out, skip)
        outs.append(out)
    return tuple(outs[i] for i in out_indices)
