# Copyright (c) medproto contributors. All rights reserved.
"""MHF_block: fusion of a local (conv) and a global (attention) feature map.

The hierarchical fusion block of the dual ConvNeXt + Swin classifier
(HiFuse, Huo et al., BSPC 2024, arXiv 2209.10218, and the MAE-Lite based MHF
code summarised in the methods notes, section 3.2).
"""
from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from timm.layers import LayerNorm2d
from torch import Tensor, nn

from ..layers.attention import ChannelAttention, SpatialAttention
from ..layers.bottleneck import PreActBottleneck


def _conv_bn(in_channels: int, out_channels: int) -> nn.Sequential:
    """``BN(conv1x1(x))``."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1),
        nn.BatchNorm2d(out_channels))


@MODELS.register_module()
class MHFBlock(BaseModule):
    """Multi-level hierarchical fusion block (``MHF_block``).

    Given the local map ``l`` and the global map ``g`` of one stage and the
    fused map ``f`` of the previous stage (twice the resolution):

    * ``L' = BN(W_l l)``, ``G' = BN(W_g g)`` (1x1 convs to ``C_out``);
    * with ``f``: ``F' = AvgPool2(ReLU(BN(W_f f)))``,
      ``z = sigma(conv1x1([G', L']))`` (2 maps), ``W = z_0 G' + z_1 L'`` and
      ``X = GELU(BN(conv3x3(LN([F', W]))))``; the shortcut is ``F'``;
    * without ``f`` (first stage): ``X = GELU(BN(conv3x3(LN([L', G']))))``
      and no shortcut (the 2-way gate is not built, as its output would be
      discarded);
    * spatial attention on the local map: ``l^ = SA(l) * l`` (CBAM, 7x7 conv
      on ``[max_c, mean_c]`` + BN); channel attention on the global map:
      ``g^ = CA(g) * g`` (CBAM, shared SE over GAP and GMP);
    * ``fuse = Dropout2d(Bottleneck([g^, l^, X]))`` (pre-activation
      bottleneck) and ``out = fuse + F'``.

    Differences from the public code, on purpose: the channel gate uses one
    sigmoid (``double_sigmoid=True`` restores the public ``sigma(sigma(.))``,
    whose gate is stuck in (0.5, 0.73)); ``X`` uses one activation (BN ->
    GELU) instead of ReLU followed by GELU.

    :meth:`forward` is :meth:`fuse` (everything but the shortcut), then
    :meth:`enhance` (the identity here), then the shortcut addition, so that
    :class:`MHFBlockV2` adds its enhancement by overriding :meth:`enhance`
    alone.

    Args:
        local_channels (int): Channels of ``l`` (C_l).
        global_channels (int): Channels of ``g`` (C_g).
        out_channels (int): Output channels C_out (also the width of ``L'``,
            ``G'``, ``F'`` and ``X``).
        prev_channels (int, optional): Channels of ``f`` (C_f). None for the
            first stage, which has no previous fused map. Defaults to None.
        reduction (int): Bottleneck ratio of the channel attention.
            Defaults to 16.
        drop_rate (float): Dropout2d probability on the fused map.
            Defaults to 0.
        double_sigmoid (bool): Reproduce the public double sigmoid in the
            channel attention. Defaults to False.
        init_cfg (dict, optional): mmengine initialisation config.
            Defaults to None (PyTorch defaults).

    Shape:
        - local: (B, C_l, H, W); global: (B, C_g, H, W);
          prev: (B, C_f, 2H, 2W) or None.
        - Output: (B, C_out, H, W).
    """

    def __init__(self,
                 local_channels: int,
                 global_channels: int,
                 out_channels: int,
                 prev_channels: Optional[int] = None,
                 reduction: int = 16,
                 drop_rate: float = 0.,
                 double_sigmoid: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('local_channels', local_channels),
                            ('global_channels', global_channels),
                            ('out_channels', out_channels)):
            if not isinstance(value, int) or value < 2:
                raise ValueError(f'{name} must be an int >= 2, got {value!r}')
        if prev_channels is not None and (not isinstance(prev_channels, int)
                                          or prev_channels < 1):
            raise ValueError('prev_channels must be None or a positive int, '
                             f'got {prev_channels!r}')
        if not 0. <= drop_rate < 1.:
            raise ValueError(f'drop_rate must be in [0, 1), got {drop_rate!r}')
        self.local_channels = local_channels
        self.global_channels = global_channels
        self.out_channels = out_channels
        self.prev_channels = prev_channels

        self.local_proj = _conv_bn(local_channels, out_channels)
        self.global_proj = _conv_bn(global_channels, out_channels)
        if prev_channels is not None:
            self.prev_proj = nn.Sequential(
                nn.Conv2d(prev_channels, out_channels, 1),
                nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
                nn.AvgPool2d(2))
            self.gate = nn.Conv2d(2 * out_channels, 2, 1)
        self.mix = nn.Sequential(
            LayerNorm2d(2 * out_channels),
            nn.Conv2d(2 * out_channels, out_channels, 3, padding=1),
            nn.BatchNorm2d(out_channels), nn.GELU())
        self.spatial_att = SpatialAttention(kernel_size=7, norm=True)
        self.channel_att = ChannelAttention(
            global_channels,
            reduction=reduction,
            pool_types=('avg', 'max'),
            double_sigmoid=double_sigmoid)
        self.fusion = PreActBottleneck(
            local_channels + global_channels + out_channels, out_channels)
        self.dropout = nn.Dropout2d(drop_rate) if drop_rate > 0 else \
            nn.Identity()

    def _check_inputs(self, local: Tensor, global_: Tensor,
                      prev: Optional[Tensor]) -> None:
        """Raise a ValueError naming the expected shapes."""
        if local.dim() != 4 or local.size(1) != self.local_channels:
            raise ValueError(f'local must be (B, {self.local_channels}, H, W),'
                             f' got {tuple(local.shape)}')
        if global_.shape[0] != local.shape[0] or global_.shape[2:] != \
                local.shape[2:] or global_.size(1) != self.global_channels:
            raise ValueError(
                f'global must be (B, {self.global_channels}, H, W) with the '
                f'batch and size of local {tuple(local.shape)}, got '
                f'{tuple(global_.shape)}')
        if (prev is None) != (self.prev_channels is None):
            raise ValueError(
                'prev must be given exactly when the block was built with '
                f'prev_channels (prev_channels={self.prev_channels}, '
                f'prev is {"None" if prev is None else "a tensor"})')
        if prev is not None:
            h, w = local.shape[2:]
            expected = (local.size(0), self.prev_channels, 2 * h, 2 * w)
            if tuple(prev.shape) != expected:
                raise ValueError(f'prev must be {expected} (twice the size of '
                                 f'local), got {tuple(prev.shape)}')

    def fuse(self, local: Tensor, global_: Tensor,
             prev: Optional[Tensor] = None
             ) -> Tuple[Tensor, Optional[Tensor]]:
        """Fuse the maps, without the final shortcut addition.

        Args:
            local, global_, prev: As in :meth:`forward`.

        Returns:
            tuple[Tensor, Tensor | None]: The fused map (after dropout),
            shape (B, C_out, H, W), and the shortcut ``F'`` of the same shape
            (None without ``prev``).
        """
        self._check_inputs(local, global_, prev)
        l_proj = self.local_proj(local)
        g_proj = self.global_proj(global_)
        if prev is not None:
            shortcut = self.prev_proj(prev)
            z = torch.sigmoid(self.gate(torch.cat([g_proj, l_proj], dim=1)))
            weighted = z[:, 0:1] * g_proj + z[:, 1:2] * l_proj
            mixed = self.mix(torch.cat([shortcut, weighted], dim=1))
        else:
            shortcut = None
            mixed = self.mix(torch.cat([l_proj, g_proj], dim=1))
        local_att = local * self.spatial_att(local)
        global_att = global_ * self.channel_att(global_)
        fused = self.fusion(torch.cat([global_att, local_att, mixed], dim=1))
        return self.dropout(fused), shortcut

    def forward(self,
                local: Tensor,
                global_: Tensor,
                prev: Optional[Tensor] = None) -> Tensor:
        """Fuse the local and global maps of one stage.

        Args:
            local (Tensor): Local-branch map, shape (B, C_l, H, W).
            global_ (Tensor): Global-branch map, shape (B, C_g, H, W).
            prev (Tensor, optional): Previous fused map, shape
                (B, C_f, 2H, 2W). Defaults to None.

        Returns:
            Tensor: Fused map, shape (B, C_out, H, W).
        """
        fused, shortcut = self.fuse(local, global_, prev)
        fused = self.enhance(fused)
        return fused if shortcut is None else fused + shortcut

    def enhance(self, fused: Tensor) -> Tensor:
        """Refine the fused map before the shortcut is added.

        Args:
            fused (Tensor): Output of :meth:`fuse`, shape (B, C_out, H, W).

        Returns:
            Tensor: ``fused`` itself here; :class:`MHFBlockV2` adds its
            enhancement residual.
        """
        return fused
