# Copyright (c) medproto contributors. All rights reserved.
"""What the MALUNet-layout backbones share: argument checks, the deep
stages (``encoder6``, ``bridge``, ``decoder1..5``), initialisation and the
forward pass.

MALUNet (Ruan et al., BIBM 2022) and its student MAUNet (Wang et al.,
MicroAUNet, 2025) differ in their stage blocks and their shallow encoders
only; the stage names, which forward hooks and distillation recorders use,
and the order of the stages are fixed here once.
"""
from typing import Callable, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..layers import DecoderStage, EncoderStage, malunet_init_weights
from ..layers.unet_stages import (check_out_indices, check_unet_channels,
                                  check_unet_input, unet_forward)

__all__ = ['MALUNetFamily']

#: ``block(c_in, c_out) -> nn.Module``.
BlockFactory = Callable[[int, int], nn.Module]


class MALUNetFamily(BaseModule):
    """Base of :class:`MALUNet` and :class:`MAUNet` (not registered).

    A subclass checks its own options, builds ``encoder1..encoder5`` and
    then calls :meth:`_add_deep_stages` and :meth:`_default_init`; it may
    re-initialise its blocks after MALUNet's rule in :meth:`_init_blocks`.

    Args:
        in_channels (int): Input image channels, >= 1.
        c_list (Sequence[int]): Six stage widths.
        out_indices (Sequence[int]): Which decoder outputs (0 = decoder1,
            4 = decoder5) :meth:`forward` returns.
        init_cfg (dict, optional): mmengine init config; None applies
            :meth:`_default_init`.
        channel_divisor (int): Every width must be a multiple of it.
            Defaults to 1.
    """

    #: Convert the input to the channels-last memory format in forward.
    channels_last: bool = False

    def __init__(self,
                 in_channels: int,
                 c_list: Sequence[int],
                 out_indices: Sequence[int],
                 init_cfg: Optional[dict] = None,
                 channel_divisor: int = 1) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, bool) or not isinstance(
                in_channels, int) or in_channels < 1:
            raise ValueError(
                f'in_channels must be a positive int, got {in_channels!r}')
        self.c_list = tuple(check_unet_channels(c_list, channel_divisor))
        self.out_indices = check_out_indices(out_indices)
        self.in_channels = in_channels

    def _add_deep_stages(self, deep_block: nn.Module,
                         bridge: Optional[nn.Module],
                         decoder_blocks: Sequence[BlockFactory],
                         norm_cfg: Optional[dict]) -> None:
        """Add ``encoder6`` (no norm, no pooling), ``bridge`` and
        ``decoder1..decoder5`` (``decoder1`` does not upsample), in this
        order.

        Args:
            deep_block (nn.Module): Block of ``encoder6``, c4 -> c5.
            bridge (nn.Module, optional): The skip bridge, or None.
            decoder_blocks (Sequence[BlockFactory]): Five factories; the
                j-th (0-based) builds ``decoder{j+1}``'s block,
                ``c_{5-j} -> c_{4-j}``.
            norm_cfg (dict, optional): Norm of the decoder stages.
        """
        c = self.c_list
        self.encoder6 = EncoderStage(deep_block, c[5], None, downsample=False)
        self.bridge = bridge
        for j, block in enumerate(decoder_blocks):
            self.add_module(
                f'decoder{j + 1}',
                DecoderStage(block(c[5 - j], c[4 - j]), c[4 - j], norm_cfg,
                             upsample=j > 0))

    def _init_blocks(self) -> None:
        """Re-initialise blocks after MALUNet's rule (none here)."""

    def _default_init(self) -> None:
        """MALUNet's rule (:func:`malunet_init_weights`), then
        :meth:`_init_blocks`."""
        self.apply(malunet_init_weights)
        self._init_blocks()

    def init_weights(self) -> None:
        """Apply ``init_cfg`` if given, else :meth:`_default_init`."""
        if self.init_cfg is None:
            self._default_init()
        else:
            super().init_weights()

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Encode, bridge and decode.

        Args:
            x (Tensor): Images, shape (B, C_in, H, W), H and W multiples
                of 32.

        Returns:
            tuple[Tensor]: Decoder features selected by ``out_indices``.
        """
        check_unet_input(x, self.in_channels)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return unet_forward(self, x, self.out_indices)
