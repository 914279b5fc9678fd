# Copyright (c) medproto contributors. All rights reserved.
"""MALUNet's spatial-channel attention bridge (SAB + CAB = SC_Att_Bridge).

Ruan et al., BIBM 2022, section II-D: the skip features of all five encoder
stages are re-weighted jointly, first spatially, then per channel, so that
the stages exchange information before entering the decoder.
"""
from typing import List, Sequence

import torch
from torch import Tensor, nn

__all__ = [
    'ChannelAttentionBridge', 'SpatialAttentionBridge', 'SCAttentionBridge',
    'check_skip_channels', 'channel_descriptor', 'max_mean_map'
]


def check_skip_channels(channels: Sequence[int]) -> List[int]:
    """Validate the skip channel list of an attention bridge.

    Args:
        channels (Sequence[int]): Channels of the bridged skip features.

    Returns:
        list[int]: ``channels`` as a list.
    """
    channels = list(channels)
    if not channels or not all(
            isinstance(c, int) and c > 0 for c in channels):
        raise ValueError('skip channels must be a non-empty sequence of '
                         f'positive ints, got {channels!r}')
    return channels


def _check_feats(feats: Sequence[Tensor], channels: Sequence[int]) -> None:
    got = [f.shape[1] for f in feats]
    if got != list(channels):
        raise ValueError(f'expected skip features with channels '
                         f'{list(channels)}, got {got}')


def channel_descriptor(feats: Sequence[Tensor], mixer: nn.Conv1d) -> Tensor:
    """Concatenated GAP of all skips, mixed by a 1-channel Conv1d (ECA).

    Args:
        feats (Sequence[Tensor]): Skips, shapes (B, C_i, H_i, W_i).
        mixer (nn.Conv1d): ``Conv1d(1, 1, k)`` across the channel axis.

    Returns:
        Tensor: Shape (B, sum C_i).
    """
    pooled = torch.cat([f.mean(dim=(2, 3)) for f in feats], dim=1)
    return mixer(pooled.unsqueeze(1)).squeeze(1)


def max_mean_map(x: Tensor) -> Tensor:
    """``[mean_c x, max_c x]`` as in SAB (mean first), shape (B, 2, H, W).

    Args:
        x (Tensor): Shape (B, C, H, W).

    Returns:
        Tensor: Shape (B, 2, H, W).
    """
    return torch.cat([x.mean(dim=1, keepdim=True),
                      x.amax(dim=1, keepdim=True)], dim=1)


class ChannelAttentionBridge(nn.Module):
    """Channel attention bridge (CAB).

    ``g = Conv1d_3(concat_i GAP(t_i))`` (shared, ECA-like), then one
    ``sigma(Linear(sum C -> C_i))`` (``split_att='fc'``) or
    ``sigma(Conv1d(sum C -> C_i, 1))`` (``'conv'``) per stage.

    Args:
        channels (Sequence[int]): Skip channels ``C_i``.
        split_att (str): ``'fc'`` (default) or ``'conv'``.

    Shape:
        - Input: skips, each (B, C_i, H_i, W_i).
        - Output: maps, each (B, C_i, 1, 1).
    """

    def __init__(self, channels: Sequence[int], split_att: str = 'fc') -> None:
        super().__init__()
        self.channels = check_skip_channels(channels)
        if split_att not in ('fc', 'conv'):
            raise ValueError(
                f"split_att must be 'fc' or 'conv', got {split_att!r}")
        self.split_att = split_att
        total = sum(self.channels)
        self.mixer = nn.Conv1d(1, 1, 3, padding=1, bias=False)
        if split_att == 'fc':
            self.heads = nn.ModuleList(
                nn.Linear(total, c) for c in self.channels)
        else:
            self.heads = nn.ModuleList(
                nn.Conv1d(total, c, 1) for c in self.channels)

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Channel maps for every skip.

        Args:
            feats (Sequence[Tensor]): Skips, shapes (B, C_i, H_i, W_i).

        Returns:
            list[Tensor]: Maps, shapes (B, C_i, 1, 1), values in (0, 1).
        """
        _check_feats(feats, self.channels)
        g = channel_descriptor(feats, self.mixer)
        if self.split_att == 'fc':
            return [torch.sigmoid(head(g))[..., None, None]
                    for head in self.heads]
        g = g.unsqueeze(-1)
        return [torch.sigmoid(head(g)).unsqueeze(-1) for head in self.heads]


class SpatialAttentionBridge(nn.Module):
    """Spatial attention bridge (SAB).

    One ``sigma(Conv2d(2 -> 1, 7x7, dilation 3))`` shared by all stages,
    applied to ``[mean_c t_i, max_c t_i]``.

    Shape:
        - Input: skips, each (B, C_i, H_i, W_i).
        - Output: maps, each (B, 1, H_i, W_i).
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, 7, padding=9, dilation=3)

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Spatial maps for every skip.

        Args:
            feats (Sequence[Tensor]): Skips, shapes (B, C_i, H_i, W_i).

        Returns:
            list[Tensor]: Maps, shapes (B, 1, H_i, W_i), values in (0, 1).
        """
        return [torch.sigmoid(self.conv(max_mean_map(f))) for f in feats]


class SCAttentionBridge(nn.Module):
    """MALUNet's SC_Att_Bridge: SAB, then CAB, with two residuals.

    ``s_i = SAB_i * t_i``; ``u_i = s_i + t_i``;
    ``out_i = CAB({u})_i * u_i + s_i``.

    Args:
        channels (Sequence[int]): Skip channels ``C_i`` (MALUNet:
            ``c_list[:5]``).
        split_att (str): CAB's per-stage projection, ``'fc'`` or
            ``'conv'``. Defaults to ``'fc'``.

    Shape:
        - Input: a sequence of skips, each (B, C_i, H_i, W_i).
        - Output: a tuple of tensors of the same shapes.
    """

    def __init__(self, channels: Sequence[int], split_att: str = 'fc') -> None:
        super().__init__()
        self.catt = ChannelAttentionBridge(channels, split_att)
        self.satt = SpatialAttentionBridge()

    def forward(self, feats: Sequence[Tensor]) -> tuple:
        """Bridge the skips.

        Args:
            feats (Sequence[Tensor]): Skips, shapes (B, C_i, H_i, W_i).

        Returns:
            tuple[Tensor]: Bridged skips, same shapes.
        """
        spatial = [a * t for a, t in zip(self.satt(feats), feats)]
        mixed = [s + t for s, t in zip(spatial, feats)]
        return tuple(a * u + s for a, u, s in zip(
            self.catt(mixed), mixed, spatial))
