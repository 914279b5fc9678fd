# Copyright (c) medproto contributors. All rights reserved.
"""MALUNet as an mmseg backbone.

Ruan, Xiang, Xie, Liu, Fu, "MALUNet: A Multi-Attention and Light-weight
UNet for Skin Lesion Segmentation", BIBM 2022 (arXiv 2211.01784); public
code JCruan519/MALUNet (``models/malunet.py``).
"""
from typing import Optional, Sequence

from mmseg.registry import MODELS
from torch import nn

from ..layers import (DilatedGatedAttention, EncoderStage,
                      InvertedExternalAttention, SCAttentionBridge)
from .malunet_family import MALUNetFamily

__all__ = ['MALUNet']


@MODELS.register_module()
class MALUNet(MALUNetFamily):
    """MALUNet encoder-bridge-decoder, without the 1x1 classifier.

    The classifier (``Conv1x1(c_list[0] -> num_classes)`` and the final x2
    upsampling) lives in the decode head (:class:`BinarySegHead`).
    With ``c = c_list`` (the notes' table 1.2)::

        encoder1  Conv3x3(in -> c0) -> GN -> MaxPool2 -> GELU   t1: c0, H/2
        encoder2  Conv3x3(c0 -> c1) -> GN -> MaxPool2 -> GELU   t2: c1, H/4
        encoder3  Conv3x3(c1 -> c2) -> GN -> MaxPool2 -> GELU   t3: c2, H/8
        encoder4  IEA(c2) -> DGA(c2 -> c3) -> GN -> Pool -> GELU t4: c3, H/16
        encoder5  IEA(c3) -> DGA(c3 -> c4) -> GN -> Pool -> GELU t5: c4, H/32
        bridge    SC_Att_Bridge(t1..t5)                 (if ``bridge``)
        encoder6  IEA(c4) -> DGA(c4 -> c5) -> GELU          c5, H/32
        decoder1  DGA(c5 -> c4) -> IEA(c4) -> GN -> GELU + t5    c4, H/32
        decoder2  DGA(c4 -> c3) -> IEA(c3) -> GN -> Up2 -> GELU + t4
        decoder3  DGA(c3 -> c2) -> IEA(c2) -> GN -> Up2 -> GELU + t3
        decoder4  Conv3x3(c2 -> c1) -> GN -> Up2 -> GELU + t2    c1, H/4
        decoder5  Conv3x3(c1 -> c0) -> GN -> Up2 -> GELU + t1    c0, H/2

    Names for forward hooks (identical in :class:`MAUNet`, with identical
    shapes for the same ``c_list``):

    * ``encoder1`` .. ``encoder5``: the skips ``t1..t5`` *before* the bridge,
      shapes (B, c_i, H / 2^i, W / 2^i), i = 0..4;
    * ``encoder6``: the bottleneck, (B, c5, H/32, W/32);
    * ``bridge``: a tuple of the five bridged skips;
    * ``decoder1`` .. ``decoder5``: the decoder features after the skip
      addition, (B, c4, H/32), (B, c3, H/16), (B, c2, H/8), (B, c1, H/4),
      (B, c0, H/2).

    Deliberate difference from the public code: the two IEA memories are
    independent parameters initialised tied (see
    :class:`InvertedExternalAttention`); the parameter count is the public
    one: 177,943 at the defaults, i.e. 177,934 in this backbone plus 9 in
    the 1-class head.

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        c_list (Sequence[int]): Six stage widths, each divisible by 4 (GN
            groups and the DGA split). Defaults to (8, 16, 24, 32, 48, 64).
        split_att (str): CAB projection, ``'fc'`` or ``'conv'``.
            Defaults to ``'fc'``.
        bridge (bool): Use the SC attention bridge. Defaults to True.
        out_indices (Sequence[int]): Which decoder outputs (0 = decoder1,
            4 = decoder5) :meth:`forward` returns. Defaults to all five.
        init_cfg (dict, optional): mmengine init config; None applies
            MALUNet's own initialisation (:func:`malunet_init_weights`).

    Shape:
        - Input: (B, in_channels, H, W), H and W multiples of 32.
        - Output: a tuple of the selected decoder features; the last is
          (B, c0, H/2, W/2).
    """

    def __init__(self,
                 in_channels: int = 3,
                 c_list: Sequence[int] = (8, 16, 24, 32, 48, 64),
                 split_att: str = 'fc',
                 bridge: bool = True,
                 out_indices: Sequence[int] = (0, 1, 2, 3, 4),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels, c_list, out_indices, init_cfg,
                         channel_divisor=4)
        c = self.c_list
        gn = dict(type='GN', num_groups=4)

        def conv3x3(cin: int, cout: int) -> nn.Conv2d:
            return nn.Conv2d(cin, cout, 3, padding=1)

        def iea_dga(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                InvertedExternalAttention(cin),
                DilatedGatedAttention(cin, cout))

        def dga_iea(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                DilatedGatedAttention(cin, cout),
                InvertedExternalAttention(cout))

        self.encoder1 = EncoderStage(conv3x3(in_channels, c[0]), c[0], gn)
        self.encoder2 = EncoderStage(conv3x3(c[0], c[1]), c[1], gn)
        self.encoder3 = EncoderStage(conv3x3(c[1], c[2]), c[2], gn)
        self.encoder4 = EncoderStage(iea_dga(c[2], c[3]), c[3], gn)
        self.encoder5 = EncoderStage(iea_dga(c[3], c[4]), c[4], gn)
        self._add_deep_stages(
            iea_dga(c[4], c[5]),
            SCAttentionBridge(c[:5], split_att) if bridge else None,
            [dga_iea] * 3 + [conv3x3] * 2, gn)
        self._default_init()

    def _init_blocks(self) -> None:
        """The tied IEA memory init after MALUNet's rule."""
        for m in self.modules():
            if isinstance(m, InvertedExternalAttention):
                m.init_memory()
