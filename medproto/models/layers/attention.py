# Copyright (c) medproto contributors. All rights reserved.
"""Channel and spatial attention maps (CBAM family).

Every module here returns an attention *map* (not the gated feature), so a
caller can combine, re-scale or log it:

* :class:`ChannelAttention` -- CBAM / SE channel map, shape (B, C, 1, 1)
  (Woo et al., "CBAM", ECCV 2018; Hu et al., "Squeeze-and-Excitation", 2018).
* :class:`LocalGlobalChannelAttention` -- a per-pixel (local) and a pooled
  (global) bottleneck MLP mixed by learned softmax weights, shape
  (B, C, H, W); the channel part of AMAFDSG (methods notes section 3.2).
* :class:`SpatialAttention` -- ``sigma(conv_kxk([max_c x, mean_c x]))``,
  shape (B, 1, H, W).
* :class:`MultiScaleSpatialAttention` -- several kernel sizes mixed by learned
  softmax weights before the sigmoid, shape (B, 1, H, W).
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .arg_checks import check_positive_int

_POOL_TYPES = ('avg', 'max')


def _hidden_channels(channels: int, reduction: int, min_channels: int) -> int:
    """Bottleneck width ``max(channels // reduction, min_channels)``."""
    check_positive_int('channels', channels)
    check_positive_int('reduction', reduction)
    check_positive_int('min_channels', min_channels)
    return max(channels // reduction, min_channels)


def max_mean_pool(x: Tensor) -> Tensor:
    """Stack the channel-wise max and mean of ``x``.

    Args:
        x (Tensor): Features, shape (B, C, H, W).

    Returns:
        Tensor: ``[max_c x, mean_c x]``, shape (B, 2, H, W).
    """
    return torch.cat(
        [x.amax(dim=1, keepdim=True),
         x.mean(dim=1, keepdim=True)], dim=1)


class ChannelAttention(nn.Module):
    """CBAM channel attention map.

    ``A = sigma(sum_{p in pool_types} MLP(p(x)))`` with a shared bottleneck
    MLP ``1x1 conv (C -> C_h) -> ReLU -> 1x1 conv (C_h -> C)`` and global
    average / max pooling (``pool_types=('avg',)`` gives SE attention).

    Args:
        channels (int): Input channels C.
        reduction (int): Bottleneck ratio; ``C_h = max(C // reduction,
            min_channels)``. Defaults to 16.
        min_channels (int): Smallest bottleneck width. Defaults to 1.
        pool_types (Sequence[str]): Any of ``'avg'`` and ``'max'``.
            Defaults to ``('avg', 'max')`` (CBAM).
        bias (bool): Bias in the MLP convs. Defaults to False.
        double_sigmoid (bool): Apply the sigmoid twice, reproducing the public
            MHF_block quirk (the map then lies in (0.5, 0.73)). Defaults to
            False.

    Shape:
        - Input: (B, C, H, W).
        - Output: (B, C, 1, 1), values in (0, 1).
    """

    def __init__(self,
                 channels: int,
                 reduction: int = 16,
                 min_channels: int = 1,
                 pool_types: Sequence[str] = ('avg', 'max'),
                 bias: bool = False,
                 double_sigmoid: bool = False) -> None:
        super().__init__()
        hidden = _hidden_channels(channels, reduction, min_channels)
        pool_types = tuple(pool_types)
        if not pool_types or any(p not in _POOL_TYPES for p in pool_types):
            raise ValueError(f'pool_types must be a non-empty subset of '
                             f'{_POOL_TYPES}, got {pool_types!r}')
        self.pool_types = pool_types
        self.double_sigmoid = double_sigmoid
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=bias), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1, bias=bias))

    def forward(self, x: Tensor) -> Tensor:
        """Compute the channel map.

        Args:
            x (Tensor): Features, shape (B, C, H, W).

        Returns:
            Tensor: Attention map, shape (B, C, 1, 1).
        """
        logits = 0.
        for pool in self.pool_types:
            pooled = (
                F.adaptive_avg_pool2d(x, 1)
                if pool == 'avg' else F.adaptive_max_pool2d(x, 1))
            logits = logits + self.mlp(pooled)
        att = torch.sigmoid(logits)
        return torch.sigmoid(att) if self.double_sigmoid else att


class LocalGlobalChannelAttention(nn.Module):
    """Adaptive local + global channel attention map (AMAFDSG channel part).

    ``A = sigma(w_0 Local(x) + w_1 Global(x))`` with ``w = softmax(v)``,
    ``v`` initialised uniform, where

    * ``Local = 1x1 conv (C -> C_h) -> BN -> ReLU -> 1x1 conv (C_h -> C)``
      applied at every pixel, and
    * ``Global = GAP -> 1x1 conv (C -> C_h) -> ReLU -> 1x1 conv (C_h -> C)``.

    Args:
        channels (int): Input channels C.
        reduction (int): Bottleneck ratio. Defaults to 16.
        min_channels (int): Smallest bottleneck width. Defaults to 8.

    Shape:
        - Input: (B, C, H, W).
        - Output: (B, C, H, W), values in (0, 1).
    """

    def __init__(self,
                 channels: int,
                 reduction: int = 16,
                 min_channels: int = 8) -> None:
        super().__init__()
        hidden = _hidden_channels(channels, reduction, min_channels)
        self.local_mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=False), nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1))
        self.global_mlp = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, hidden, 1),
            nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1))
        self.path_logits = nn.Parameter(torch.zeros(2))

    def forward(self, x: Tensor) -> Tensor:
        """Compute the channel map.

        Args:
            x (Tensor): Features, shape (B, C, H, W).

        Returns:
            Tensor: Attention map, shape (B, C, H, W).
        """
        w = self.path_logits.softmax(dim=0)
        return torch.sigmoid(w[0] * self.local_mlp(x) +
                             w[1] * self.global_mlp(x))


class SpatialAttention(nn.Module):
    """CBAM spatial attention map ``sigma([BN](conv_kxk([max_c, mean_c])))``.

    Args:
        kernel_size (int): Odd kernel size. Defaults to 7.
        norm (bool): Batch-normalise the conv output (HiFuse / MHF_block do).
            Defaults to True.

    Shape:
        - Input: (B, C, H, W).
        - Output: (B, 1, H, W), values in (0, 1).
    """

    def __init__(self, kernel_size: int = 7, norm: bool = True) -> None:
        super().__init__()
        if not isinstance(kernel_size, int) or kernel_size < 1 or \
                kernel_size % 2 == 0:
            raise ValueError(
                f'kernel_size must be a positive odd int, got {kernel_size!r}')
        self.conv = nn.Conv2d(
            2, 1, kernel_size, padding=kernel_size // 2, bias=not norm)
        self.norm = nn.BatchNorm2d(1) if norm else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        """Compute the spatial map.

        Args:
            x (Tensor): Features, shape (B, C, H, W).

        Returns:
            Tensor: Attention map, shape (B, 1, H, W).
        """
        return torch.sigmoid(self.norm(self.conv(max_mean_pool(x))))


class MultiScaleSpatialAttention(nn.Module):
    """Spatial attention over several receptive fields.

    ``A = sigma(sum_k softmax(v)_k conv_k([max_c x, mean_c x]))`` with ``v``
    initialised uniform (AMAFDSG uses kernels 3 and 5).

    Args:
        kernel_sizes (Sequence[int]): Odd kernel sizes. Defaults to (3, 5).

    Shape:
        - Input: (B, C, H, W).
        - Output: (B, 1, H, W), values in (0, 1).
    """

    def __init__(self, kernel_sizes: Sequence[int] = (3, 5)) -> None:
        super().__init__()
        kernel_sizes = tuple(kernel_sizes)
        if not kernel_sizes or any(
                not isinstance(k, int) or k < 1 or k % 2 == 0
                for k in kernel_sizes):
            raise ValueError('kernel_sizes must be a non-empty sequence of '
                             f'positive odd ints, got {kernel_sizes!r}')
        self.convs = nn.ModuleList(
            nn.Conv2d(2, 1, k, padding=k // 2) for k in kernel_sizes)
        self.scale_logits = nn.Parameter(torch.zeros(len(kernel_sizes)))

    def forward(self, x: Tensor) -> Tensor:
        """Compute the spatial map.

        Args:
            x (Tensor): Features, shape (B, C, H, W).

        Returns:
            Tensor: Attention map, shape (B, 1, H, W).
        """
        pooled = max_mean_pool(x)
        w = self.scale_logits.softmax(dim=0)
        logits = sum(w[i] * conv(pooled) for i, conv in enumerate(self.convs))
        return torch.sigmoid(logits)
