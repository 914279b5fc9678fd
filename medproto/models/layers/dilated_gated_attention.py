# Copyright (c) medproto contributors. All rights reserved.
"""Dilated gated attention (DGA) of MALUNet.

Ruan et al., "MALUNet: A Multi-Attention and Light-weight UNet for Skin
Lesion Segmentation", BIBM 2022 (arXiv 2211.01784), section II-B.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from .depthwise_separable_conv import DepthwiseSeparableConv

__all__ = ['GatedAttentionUnit', 'DilatedGatedAttention']


class GatedAttentionUnit(nn.Module):
    """Gated attention unit (GAU) closing MALUNet's DGA.

    ``out = GELU(DS_3(sigma(DS_3(x)) * GELU(DS_5(x)))) + PW(x)`` where
    ``DS_k`` is a :class:`DepthwiseSeparableConv` with kernel ``k``.

    Args:
        in_channels (int): Input channels ``C_in``.
        out_channels (int): Output channels ``C_out``.
        norm_cfg (dict, optional): Norm inside each depthwise-separable
            conv. Defaults to ``dict(type='GN', num_groups=4)``.

    Shape:
        - Input: (B, C_in, H, W).
        - Output: (B, C_out, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=4)
                 ) -> None:
        super().__init__()
        self.gate = DepthwiseSeparableConv(
            in_channels, in_channels, 3, norm_cfg=norm_cfg)
        self.value = DepthwiseSeparableConv(
            in_channels, in_channels, 5, norm_cfg=norm_cfg)
        self.proj = DepthwiseSeparableConv(
            in_channels, out_channels, 3, norm_cfg=norm_cfg)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the unit.

        Args:
            x (Tensor): Shape (B, C_in, H, W).

        Returns:
            Tensor: Shape (B, C_out, H, W).
        """
        gated = torch.sigmoid(self.gate(x)) * F.gelu(self.value(x))
        return F.gelu(self.proj(gated)) + self.shortcut(x)


class DilatedGatedAttention(nn.Module):
    """MALUNet's dilated gated attention (DGA).

    The channels are split into ``len(dilations)`` equal chunks; chunk ``i``
    goes through a depthwise 3x3 conv with dilation ``dilations[i]``
    (multi-scale context). The chunks are concatenated, then
    ``norm -> PW(C_in -> C_in) -> GELU -> GAU(C_in -> C_out)``.

    Args:
        in_channels (int): Input channels ``C_in``; divisible by
            ``len(dilations)`` and by the norm's group count.
        out_channels (int): Output channels ``C_out``.
        dilations (Sequence[int]): Dilation per chunk. Defaults to
            ``(7, 5, 2, 1)`` as in the paper.
        norm_cfg (dict, optional): Norm after the concatenation and inside
            the GAU. Defaults to ``dict(type='GN', num_groups=4)``.

    Shape:
        - Input: (B, C_in, H, W).
        - Output: (B, C_out, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 dilations: Sequence[int] = (7, 5, 2, 1),
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=4)
                 ) -> None:
        super().__init__()
        dilations = tuple(dilations)
        if not dilations or not all(
                isinstance(d, int) and d >= 1 for d in dilations):
            raise ValueError('dilations must be a non-empty sequence of '
                             f'positive ints, got {dilations!r}')
        if not isinstance(in_channels, int) or in_channels < 1 or \
                in_channels % len(dilations):
            raise ValueError(
                f'in_channels ({in_channels!r}) must be a positive int '
                f'divisible by len(dilations) ({len(dilations)})')
        chunk = in_channels // len(dilations)
        self.num_chunks = len(dilations)
        self.dilated_convs = nn.ModuleList(
            nn.Conv2d(chunk, chunk, 3, padding=d, dilation=d, groups=chunk)
            for d in dilations)
        self.norm = nn.Identity() if norm_cfg is None else build_norm_layer(
            norm_cfg, in_channels)[1]
        self.pw = nn.Conv2d(in_channels, in_channels, 1)
        self.gau = GatedAttentionUnit(in_channels, out_channels, norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the attention.

        Args:
            x (Tensor): Shape (B, C_in, H, W).

        Returns:
            Tensor: Shape (B, C_out, H, W).
        """
        chunks = torch.chunk(x, self.num_chunks, dim=1)
        x = torch.cat(
            [conv(c) for conv, c in zip(self.dilated_convs, chunks)], dim=1)
        return self.gau(F.gelu(self.pw(self.norm(x))))
