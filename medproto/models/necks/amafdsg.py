# Copyright (c) medproto contributors. All rights reserved.
"""AMAFDSG: adaptive multi-scale attention fusion with a dynamic scaling gate.
"""
from typing import Optional, Sequence

from mmpretrain.registry import MODELS
from torch import nn

from ..layers.attention import (LocalGlobalChannelAttention,
                                MultiScaleSpatialAttention)
from ..layers.scale import DynamicScalingGate
from .enhancement_base import ZeroInitEnhancement


@MODELS.register_module()
class AMAFDSGModule(ZeroInitEnhancement):
    """Enhancement branch of ``MHFBlockV2`` with adaptive attention fusion.

    * channel attention: ``A_c = sigma(w_0 Local(x) + w_1 Global(x))``,
      ``w = softmax`` of learned logits (init uniform), ``Local`` a per-pixel
      1x1 bottleneck with BN, ``Global`` a GAP bottleneck
      (:class:`LocalGlobalChannelAttention`); ``x_ca = x * A_c``;
    * spatial attention over 3x3 and 5x5 receptive fields mixed by learned
      softmax weights (:class:`MultiScaleSpatialAttention`);
      ``x_sa = x_ca * A_s``;
    * dynamic scaling gate: ``E(x) = x_sa * lambda_g * (1 + sigma(lambda_c))``
      with the global scalar ``lambda_g`` initialised to 0, so
      ``E(x) == 0`` at init (:class:`DynamicScalingGate`).

    Follows the AMAFDSG module of the MHF code (methods notes section 3.2).

    Args:
        channels (int): Channels C of the enhanced map.
        reduction (int): Channel-attention ratio. Defaults to 16.
        min_channels (int): Smallest channel-attention width. Defaults to 8.
        kernel_sizes (Sequence[int]): Spatial-attention kernels.
            Defaults to (3, 5).
        init_cfg (dict, optional): mmengine initialisation config.
            Defaults to None.

    Shape:
        As :class:`ZeroInitEnhancement`.
    """

    def __init__(self,
                 channels: int,
                 reduction: int = 16,
                 min_channels: int = 8,
                 kernel_sizes: Sequence[int] = (3, 5),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.channel_att = LocalGlobalChannelAttention(
            channels, reduction=reduction, min_channels=min_channels)
        self.spatial_att = MultiScaleSpatialAttention(kernel_sizes)
        self.gate = DynamicScalingGate(channels, init_value=0.)

    @property
    def residual_scale(self) -> nn.Module:
        return self.gate
