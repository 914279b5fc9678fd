# Copyright (c) medproto contributors. All rights reserved.
"""Lightweight dilated gated attention (LDGA) of MicroAUNet.

Wang et al., MicroAUNet, 2025 (arXiv 2511.01143); public code
JeremyXSC/MicroAUNet, ``LightweightDGA``.
"""
from typing import Optional

import torch
from torch import Tensor, nn

from .depthwise_separable_conv import DepthwiseSeparableConv
from .pointwise_conv import PointwiseConv2d

__all__ = ['LightweightDGA']


class LightweightDGA(nn.Module):
    """``y = DS_3(x); out = DS_1(y * sigma(PW_{C->1}(y))) + shortcut(x)``.

    ``DS_k`` is a :class:`DepthwiseSeparableConv` (``DW k x k -> norm ->
    PW``); the shortcut is ``DS_1(C_in -> C_out)`` when the widths differ,
    else the identity. The single-channel sigmoid map is a spatial gate.

    **Deliberate differences from the public code** (both optional): the
    helpers' norm is configurable, and MAUNet uses BatchNorm instead of the
    public GroupNorm(4), so that at inference the norms fold into the convs
    (``DS_3`` becomes ``DW' -> PW`` and each ``DS_1`` one 1x1 conv); and
    with BatchNorm the per-channel 1x1 depthwise conv of the ``DS_1``
    helpers is redundant (BatchNorm cancels a per-channel affine map) and
    can be dropped (``dw_in_1x1=False``), which saves a pass over the
    feature map and ``2 * C_in`` parameters per helper.

    Args:
        in_channels (int): Input channels ``C_in``.
        out_channels (int): Output channels ``C_out``.
        kernel_size (int): Odd kernel of the first helper. Defaults to 3.
        norm_cfg (dict, optional): Norm inside the helpers.
            Defaults to ``dict(type='BN')``; the public code's is
            ``dict(type='GN', num_groups=4)``.
        dw_in_1x1 (bool): Keep the 1x1 depthwise conv in the ``DS_1``
            helpers, as the public code. Defaults to True.

    Shape:
        - Input: (B, C_in, H, W).
        - Output: (B, C_out, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 dw_in_1x1: bool = True) -> None:
        super().__init__()
        self.dwconv = DepthwiseSeparableConv(
            in_channels, in_channels, kernel_size, norm_cfg=norm_cfg)
        self.gate = PointwiseConv2d(in_channels, 1, 1, bias=False)
        self.out_conv = DepthwiseSeparableConv(
            in_channels, out_channels, 1, norm_cfg=norm_cfg,
            depthwise=dw_in_1x1)
        self.shortcut = DepthwiseSeparableConv(
            in_channels, out_channels, 1, norm_cfg=norm_cfg,
            depthwise=dw_in_1x1) \
            if in_channels != out_channels else nn.Identity()

    def init_gate(self) -> None:
        """Zero the gate conv, so that every gate starts at 0.5.

        MALUNet's rule (``std = sqrt(2 / fan_out)``, used by the public
        MicroAUNet for every conv) gives this ``C -> 1`` conv std 1.41: at
        256x256, more than half of the gates in every LDGA are saturated
        (below 0.05 or above 0.95) at initialisation and pass almost no
        gradient. A zero conv
        still gets gradients (its input varies), and the gates open or
        close as training asks.
        """
        nn.init.zeros_(self.gate.weight)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the attention.

        Args:
            x (Tensor): Shape (B, C_in, H, W).

        Returns:
            Tensor: Shape (B, C_out, H, W).
        """
        y = self.dwconv(x)
        y = y * torch.sigmoid(self.gate(y))
        return self.out_conv(y) + self.shortcut(x)
