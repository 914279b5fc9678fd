# Copyright (c) medproto contributors. All rights reserved.
"""EnhancementModuleLite: zero-initialised CBAM-style refinement."""
from typing import Optional

from mmpretrain.registry import MODELS
from torch import nn

from ..layers.attention import ChannelAttention, SpatialAttention
from ..layers.scale import ZeroInitScale
from .enhancement_base import ZeroInitEnhancement


@MODELS.register_module()
class EnhancementModuleLite(ZeroInitEnhancement):
    """Light enhancement branch of ``MHFBlockV2`` (methods notes 3.2).

    ``x1 = x * CA(x)`` with SE channel attention
    (``GAP -> 1x1 (C -> max(C/16, 8), no bias) -> ReLU -> 1x1 -> sigma``),
    then ``E(x) = s * (x1 * SA(x1))`` with a 3x3 spatial attention on
    ``[max_c, mean_c]`` and a learnable scalar ``s`` initialised to 0, so
    ``E(x) == 0`` at init.

    Args:
        channels (int): Channels C of the enhanced map.
        reduction (int): Channel-attention ratio. Defaults to 16.
        min_channels (int): Smallest channel-attention width. Defaults to 8.
        kernel_size (int): Spatial-attention kernel. Defaults to 3.
        init_cfg (dict, optional): mmengine initialisation config.
            Defaults to None.

    Shape:
        As :class:`ZeroInitEnhancement`.
    """

    def __init__(self,
                 channels: int,
                 reduction: int = 16,
                 min_channels: int = 8,
                 kernel_size: int = 3,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.channel_att = ChannelAttention(
            channels,
            reduction=reduction,
            min_channels=min_channels,
            pool_types=('avg', ))
        self.spatial_att = SpatialAttention(kernel_size, norm=False)
        self.scale = ZeroInitScale(0.)

    @property
    def residual_scale(self) -> nn.Module:
        return self.scale
