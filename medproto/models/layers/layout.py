# Copyright (c) medproto contributors. All rights reserved.
"""Memory-layout conversions between conv (NCHW) and transformer (NHWC)
feature maps.

The public MHF code turned an NCHW map into tokens with
``x.reshape(B, -1, C)`` and no transpose, which mixes channels with
positions. These helpers permute, so that the token at ``(h, w)`` is exactly
the channel vector ``x[:, :, h, w]``.
"""
from torch import Tensor


def _check_map(x: Tensor, layout: str) -> None:
    """Raise unless ``x`` is a 4-D map; ``layout`` names its axes."""
    if x.dim() != 4:
        raise ValueError(
            f'expected a ({layout}) tensor, got {tuple(x.shape)}')


def nchw_to_nhwc(x: Tensor) -> Tensor:
    """Channels-first map to channels-last.

    Args:
        x (Tensor): Shape (B, C, H, W).

    Returns:
        Tensor: Shape (B, H, W, C), contiguous, with
        ``out[b, h, w] == x[b, :, h, w]``.
    """
    _check_map(x, 'B, C, H, W')
    return x.permute(0, 2, 3, 1).contiguous()


def nhwc_to_nchw(x: Tensor) -> Tensor:
    """Channels-last map to channels-first.

    Args:
        x (Tensor): Shape (B, H, W, C).

    Returns:
        Tensor: Shape (B, C, H, W), contiguous, with
        ``out[b, :, h, w] == x[b, h, w]``.
    """
    _check_map(x, 'B, H, W, C')
    return x.permute(0, 3, 1, 2).contiguous()


def nchw_to_tokens(x: Tensor) -> Tensor:
    """Channels-first map to a token sequence in row-major order.

    Args:
        x (Tensor): Shape (B, C, H, W).

    Returns:
        Tensor: Shape (B, H*W, C); token ``h * W + w`` is ``x[b, :, h, w]``.
    """
    _check_map(x, 'B, C, H, W')
    return x.flatten(2).transpose(1, 2)
