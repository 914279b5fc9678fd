# Copyright (c) medproto contributors. All rights reserved.
"""Lightweight spatial-channel attention bridge (LSCAB) of MicroAUNet.

Wang et al., MicroAUNet, 2025 (arXiv 2511.01143); public code
JeremyXSC/MicroAUNet, ``LSCAB`` with ``Lightweight_Channel_Att_Bridge``
(LCAB) and ``Lightweight_Spatial_Att_Bridge`` (LSAB).
"""
from typing import List, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .sc_att_bridge import (channel_descriptor, check_skip_channels,
                            max_mean_map)

__all__ = [
    'LightweightChannelAttentionBridge', 'LightweightSpatialAttentionBridge',
    'LSCAB'
]


class LightweightChannelAttentionBridge(nn.Module):
    """LCAB: ``sigma(FC(Conv1d_3(concat_i GAP(t_i))))`` with *one* shared
    ``Linear(sum C -> sum C)``, split back per stage.

    Args:
        channels (Sequence[int]): Skip channels ``C_i``.

    Shape:
        - Input: skips, each (B, C_i, H_i, W_i).
        - Output: maps, each (B, C_i, 1, 1).
    """

    def __init__(self, channels: Sequence[int]) -> None:
        super().__init__()
        self.channels = check_skip_channels(channels)
        total = sum(self.channels)
        self.mixer = nn.Conv1d(1, 1, 3, padding=1, bias=False)
        self.fc = nn.Linear(total, total)

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Channel maps for every skip.

        Args:
            feats (Sequence[Tensor]): Skips, shapes (B, C_i, H_i, W_i).

        Returns:
            list[Tensor]: Maps, shapes (B, C_i, 1, 1), values in (0, 1).
        """
        got = [f.shape[1] for f in feats]
        if got != self.channels:
            raise ValueError(f'expected skip features with channels '
                             f'{self.channels}, got {got}')
        att = torch.sigmoid(self.fc(channel_descriptor(feats, self.mixer)))
        return [a[..., None, None] for a in att.split(self.channels, dim=1)]


class LightweightSpatialAttentionBridge(nn.Module):
    """LSAB: ``sigma(Conv7x7(reflect_pad_3([mean_c t, max_c t])))``, one
    bias-free conv shared by all stages.

    Reflect padding needs every skip to be at least 4 pixels high and wide
    (inputs of at least 128 px for five poolings).

    Args:
        kernel_size (int): Odd kernel. Defaults to 7.

    Shape:
        - Input: skips, each (B, C_i, H_i, W_i).
        - Output: maps, each (B, 1, H_i, W_i).
    """

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        if not isinstance(kernel_size, int) or kernel_size < 1 or \
                kernel_size % 2 == 0:
            raise ValueError('kernel_size must be a positive odd int, got '
                             f'{kernel_size!r}')
        self.pad = kernel_size // 2
        self.conv = nn.Conv2d(2, 1, kernel_size, bias=False)

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Spatial maps for every skip.

        Args:
            feats (Sequence[Tensor]): Skips, shapes (B, C_i, H_i, W_i).

        Returns:
            list[Tensor]: Maps, shapes (B, 1, H_i, W_i), values in (0, 1).
        """
        maps = []
        for f in feats:
            if min(f.shape[-2:]) <= self.pad:
                raise ValueError(
                    f'LSAB reflect padding {self.pad} needs skips larger '
                    f'than {self.pad} px, got {tuple(f.shape[-2:])}; use '
                    f'inputs of at least {32 * (self.pad + 1)} px')
            m = F.pad(max_mean_map(f), [self.pad] * 4, mode='reflect')
            if f.is_contiguous(memory_format=torch.channels_last):
                # A 2-channel map is ambiguous; keep the skip's layout, in
                # which the CPU conv (and its backward) is ~3x faster.
                m = m.contiguous(memory_format=torch.channels_last)
            maps.append(torch.sigmoid(self.conv(m)))
        return maps


class LSCAB(nn.Module):
    """Parallel channel and spatial bridge with learnable mixing.

    ``out_i = (alpha * LCAB_i + beta * LSAB_i) * t_i + t_i``, with scalar
    ``alpha`` and ``beta`` initialised to 0.5.

    Args:
        channels (Sequence[int]): Skip channels (MAUNet: ``c_list[:5]``).
        init_mix (float): Initial ``alpha`` and ``beta``. Defaults to 0.5.

    Shape:
        - Input: a sequence of skips, each (B, C_i, H_i, W_i).
        - Output: a tuple of tensors of the same shapes.
    """

    def __init__(self, channels: Sequence[int], init_mix: float = 0.5) -> None:
        super().__init__()
        self.catt = LightweightChannelAttentionBridge(channels)
        self.satt = LightweightSpatialAttentionBridge()
        self.alpha = nn.Parameter(torch.tensor(float(init_mix)))
        self.beta = nn.Parameter(torch.tensor(float(init_mix)))

    def forward(self, feats: Sequence[Tensor]) -> tuple:
        """Bridge the skips.

        Args:
            feats (Sequence[Tensor]): Skips, shapes (B, C_i, H_i, W_i).

        Returns:
            tuple[Tensor]: Bridged skips, same shapes.
        """
        outs = []
        for t, c, s in zip(feats, self.catt(feats), self.satt(feats)):
            # t * (1 + alpha c + beta s): the (B, C, 1, 1) part is cheap.
            outs.append(t * ((1. + self.alpha * c) + self.beta * s))
        return tuple(outs)
