# Copyright (c) medproto contributors. All rights reserved.
"""1x1 convolution connector (channel projection)."""
from typing import Optional

import torch
from torch import Tensor, nn

from medproto.distill.losses.utils import (check_max_side, check_positive_int,
                                           max_side_size, pool_to_max_side)
from medproto.registry import MODELS
from .fused_conv1x1_bn import (can_fuse_conv1x1_bn, conv1x1_bn_train,
                               conv1x1_bn_train_at)
from .utils import check_bool, conv_norm_act


@MODELS.register_module()
class Conv1x1Connector(nn.Module):
    """Project a student feature to the teacher's channels with a 1x1 conv.

    ``y = ReLU?(BN?(Conv1x1(x)))``: (N, in_channels, H, W) ->
    (N, out_channels, H, W). The spatial size is kept (unless
    ``max_side`` is set); combine with
    :class:`ResizeConnector` or use :class:`ConvRegConnector` when it
    differs.

    With BatchNorm on batch statistics (training) on CPU, the conv and the
    BatchNorm run as one matrix product per image with the statistics
    taken from the input's channel mean and covariance (``conv1x1_bn_train``
    in :mod:`medproto.distill.connectors.fused_conv1x1_bn`): the same
    output, gradients and running statistics within float rounding, in
    about 0.6x the CPU time of the two modules (forward and backward) on
    MAUNet's 128x128 skip. The modules (and their state-dict keys) are
    unchanged; elsewhere they run as they are. :meth:`forward_at` computes
    only some pixels of the output, for a loss that reads no others.

    Args:
        in_channels (int): Student channels.
        out_channels (int): Teacher channels.
        norm (bool): Add BatchNorm2d after the conv (the conv then has no
            bias). Defaults to True.
        relu (bool): Add a ReLU at the end. Defaults to False.
        max_side (int, optional): Average-pool the input to at most
            ``max_side`` pixels per side first (see
            :func:`~medproto.distill.losses.utils.pool_to_max_side`; e.g.
            32: a 128x128 skip becomes the 32x32 means of its 4x4 blocks),
            so the conv and the BatchNorm (its statistics too) work on the
            pooled map. Pair it with ``FeatureAlignLoss(max_side=...)``,
            which pools the teacher's map the same way. A cheaper method,
            not the same one; opt-in, and its effect on accuracy has not
            been checked on Kvasir-SEG. None (the default) keeps the full
            map.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm: bool = True,
                 relu: bool = False,
                 max_side: Optional[int] = None) -> None:
        super().__init__()
        check_positive_int('in_channels', in_channels)
        check_positive_int('out_channels', out_channels)
        norm = check_bool('norm', norm)
        relu = check_bool('relu', relu)
        self.max_side = check_max_side(max_side)
        self.layers = conv_norm_act(
            nn.Conv2d(in_channels, out_channels, 1, bias=not norm),
            out_channels, norm, relu)

    def forward(self, x: Tensor) -> Tensor:
        """Map (N, in_channels, H, W) to (N, out_channels, H, W) (to at
        most ``max_side`` per side when set)."""
        layers = self.layers
        x = pool_to_max_side(x, self.max_side)
        if self._fusable(x, any_size=False):
            return self._after_bn(conv1x1_bn_train(x, layers[0], layers[1]))
        return layers(x)

    def forward_at(self, x: Tensor, batch_idx: Tensor,
                   pixel_idx: Tensor) -> Tensor:
        """``self(x).flatten(2)[batch_idx, :, pixel_idx]``, computing only
        those pixels where the BatchNorm runs on batch statistics on CPU
        (its statistics, and their running update, still from every pixel:
        ``conv1x1_bn_train_at`` of
        :mod:`medproto.distill.connectors.fused_conv1x1_bn`); elsewhere the
        full map is indexed. Same values and gradients within float
        rounding.

        Args:
            x (Tensor): (N, in_channels, H, W).
            batch_idx (Tensor): (M,) image indices.
            pixel_idx (Tensor): (M,) flat pixel indices of the output map
                (after ``max_side``); distinct (image, pixel) pairs.

        Returns:
            Tensor: (M, out_channels).
        """
        layers = self.layers
        x = pool_to_max_side(x, self.max_side)
        if self._fusable(x, any_size=True):
            return self._after_bn(
                conv1x1_bn_train_at(x, layers[0], layers[1], batch_idx,
                                    pixel_idx))
        return layers(x).flatten(2)[batch_idx, :, pixel_idx]

    def _fusable(self, x: Tensor, any_size: bool) -> bool:
        """Whether conv + BatchNorm run as one fused product on ``x``."""
        layers = self.layers
        return len(layers) > 1 and isinstance(
            layers[1], nn.BatchNorm2d) and can_fuse_conv1x1_bn(
                x, layers[0], layers[1], any_size=any_size)

    def _after_bn(self, out: Tensor) -> Tensor:
        """The layers after the BatchNorm (the optional ReLU)."""
        return self.layers[2](out) if len(self.layers) > 2 else out

    def output_shape(self, x: Tensor) -> torch.Size:
        """The shape of ``self(x)`` for an input ``x``, without computing
        it."""
        height, width = max_side_size(x.size(-2), x.size(-1), self.max_side)
        return torch.Size((x.size(0), self.layers[0].out_channels, height,
                           width))

    def extra_repr(self) -> str:
        return '' if self.max_side is None else f'max_side={self.max_side}'
