# Copyright (c) medproto contributors. All rights reserved.
"""MicroAUNet's student network (MAUNet) as an mmseg backbone.

Wang, Zhang, Esrafilzadeh, Jalili, Xiang, "MicroAUNet: Boundary-Enhanced
Multi-scale Fusion with Knowledge Distillation for Colonoscopy Polyp Image
Segmentation", 2025 (arXiv 2511.01143); public code JeremyXSC/MicroAUNet
(``models/maunet.py``, ``MAUNet``).
"""
from typing import Optional, Sequence

from mmseg.registry import MODELS
from torch import nn

from ..layers import (LSCAB, ConvBNAct, DWDBlock, DWDConv, EncoderStage,
                      LightweightDGA, fuse_modules)
from ..layers.depthwise_separable_conv import is_batch_norm
from .malunet_family import MALUNetFamily

__all__ = ['MAUNet']

_STEMS = ('dwd', 'conv')


@MODELS.register_module()
class MAUNet(MALUNetFamily):
    """MicroAUNet student: DWD convs, lightweight DGA and the LSCAB bridge
    in MALUNet's U layout (no 1x1 classifier; see :class:`BinarySegHead`).

    With ``c = c_list``::

        encoder1  Conv3x3_stride2(in -> c0) + BN + ReLU -> GELU  t1: H/2
        encoder_i MaxPool2 -> DWDBlock(c_{i-2}) -> LDGA(c_{i-2} -> c_{i-1})
                  -> norm -> GELU                             (i = 2..5)
        bridge    LSCAB(t1..t5)                           (if ``bridge``)
        encoder6  DWDBlock(c4) -> LDGA(c4 -> c5) -> GELU        c5, H/32
        decoder1  LDGA(c5 -> c4) -> DWDBlock(c4) -> norm -> GELU + t5
        decoder_j LDGA(c_{6-j} -> c_{5-j}) -> DWDBlock(c_{5-j}) -> norm
                  -> Up2 -> GELU + t_{6-j}                    (j = 2..5)

    The hook names and feature shapes are those of :class:`MALUNet`
    (``encoder1..encoder5`` = pre-bridge ``t1..t5``, ``encoder6``,
    ``bridge``, ``decoder1..decoder5``), so teacher and student features
    can be compared without adapters.

    **Deliberate differences from the public code**, for CPU speed (the
    public student is slower than its teacher on CPU). Each has a switch;
    ``norm_cfg=dict(type='GN', num_groups=4), channels_last=False,
    dw_in_1x1=True, norm_after_pool=False, downsample_first=False`` gives
    the public network (84,272 parameters + 9 in the 1-class head =
    84,281), with ``stem='dwd'``:

    * the stem is a dense 3x3 conv + BN + ReLU (``stem='conv'``, 216
      weights for 3 -> 8 channels) instead of a DWDConv: the DWDConv's
      depthwise 3x3 filters each RGB channel alone and its ReLU drops
      the negative half of every response before anything mixes the
      colours. With the stride-2 stem below this was the student's
      bottleneck: +10.3 / +6.8 Dice on Kvasir-SEG at two seeds over the
      DWDConv stem, at a slightly *higher* training speed (one dense conv
      is cheaper on CPU than a depthwise + a pointwise conv with two
      BatchNorms; docs/results.md);

    * the encoder downsamples *before* its blocks
      (``downsample_first=True``): the stem conv has stride 2 (a
      learned downsampling instead of the max-pooling after it; its own
      BN + ReLU end the stage, so the stage norm is dropped, -16
      parameters) and encoder2..5 max-pool their input
      first, so every encoder block runs on a quarter of the pixels
      (public: block at full size, then norm and pooling). This is a
      different network, not a re-ordering: it halves the MACs and is
      what makes the student 1.5x faster to train than MALUNet on CPU
      (docs/results.md); the public order costs more than the teacher;

    * every GroupNorm (stage norms and the LDGA helpers) is a BatchNorm
      (``norm_cfg``), so that :meth:`fuse` folds those that follow a
      linear op into the convolutions for inference; the depthwise convs
      right before a BatchNorm lose their (cancelled) bias, -312 parameters;
    * the LDGA 1x1 helpers drop their 1x1 depthwise conv
      (``dw_in_1x1=False``), a per-channel affine map that the following
      BatchNorm cancels, -1,248 parameters;
    * with ``downsample_first=False``, the encoder stage norms run after
      the max-pooling (``norm_after_pool=True``), on a quarter of the
      pixels; for positive BatchNorm scales the function class is the
      same (see :class:`EncoderStage`);
    * with ``channels_last=True`` the input is converted once to the
      channels-last memory format, in which PyTorch's depthwise and
      small 1x1 convolutions run much faster on CPU;
    * the DWD ReLUs are in place;
    * the LDGA gate convs start at zero (every gate 0.5): with MALUNet's
      initialisation, which the public code uses, more than half of the gates
      are saturated at the start and the student learns far more slowly
      (:meth:`LightweightDGA.init_gate`).

    At the defaults: 82,855 parameters (82,864 with the 1-class head) and
    0.0220 GMACs of convolutions at 256x256 (0.0255 G with norms and
    upsampling, as mmengine's counter reports). With BatchNorm stage norms,
    the output biases of the encoder LDGAs (``encoder2..5.block.1``:
    ``out_conv`` / ``shortcut`` ``pw.bias`` and ``norm.bias``) add a
    per-channel constant that the stage BatchNorm removes again, so they
    get only rounding-level gradients; they are kept for the decoder
    blocks, which share the LDGA class.

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        c_list (Sequence[int]): Six stage widths. Defaults to
            (8, 16, 24, 32, 48, 64).
        bridge (bool): Use the LSCAB bridge. Defaults to True.
        norm_cfg (dict): Stage and LDGA norm. Defaults to ``dict(type='BN')``;
            ``dict(type='GN', num_groups=4)`` gives the public layers.
        channels_last (bool): Run in the channels-last memory format.
            Defaults to True.
        dw_in_1x1 (bool): Keep the 1x1 depthwise conv of the LDGA 1x1
            helpers (public). False needs a BatchNorm ``norm_cfg``.
            Defaults to False.
        norm_after_pool (bool): Encoder norms after the pooling (only
            with ``downsample_first=False``). Defaults to True.
        downsample_first (bool): Stride-2 stem and pool-first encoder
            stages. Defaults to True.
        stem (str): The first conv: ``'dwd'``, a DWDConv (public), or
            ``'conv'``, a dense 3x3 conv + BN + ReLU (:class:`ConvBNAct`,
            the stem of mobile networks), which mixes the RGB channels
            before any downsampling. Defaults to ``'conv'``.
        out_indices (Sequence[int]): Which decoder outputs (0 = decoder1,
            4 = decoder5) :meth:`forward` returns. Defaults to all five.
        init_cfg (dict, optional): mmengine init config; None applies
            MALUNet's initialisation (as the public MAUNet does) with the
            LDGA gates zeroed.

    Shape:
        - Input: (B, in_channels, H, W), H and W multiples of 32 and at
          least 128 with the bridge (LSAB's reflect padding).
        - Output: a tuple of the selected decoder features; the last is
          (B, c0, H/2, W/2).
    """

    def __init__(self,
                 in_channels: int = 3,
                 c_list: Sequence[int] = (8, 16, 24, 32, 48, 64),
                 bridge: bool = True,
                 norm_cfg: dict = dict(type='BN'),
                 channels_last: bool = True,
                 dw_in_1x1: bool = False,
                 norm_after_pool: bool = True,
                 downsample_first: bool = True,
                 stem: str = 'conv',
                 out_indices: Sequence[int] = (0, 1, 2, 3, 4),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels, c_list, out_indices, init_cfg)
        if not isinstance(norm_cfg, dict) or 'type' not in norm_cfg:
            raise ValueError('norm_cfg must be a dict with a "type" key, got '
                             f'{norm_cfg!r}')
        if not dw_in_1x1 and not is_batch_norm(norm_cfg):
            raise ValueError(
                'dw_in_1x1=False drops a per-channel affine map that only a '
                f'BatchNorm cancels; got norm_cfg={norm_cfg!r}. Use '
                'dw_in_1x1=True with other norms.')
        if stem not in _STEMS:
            raise ValueError(f'stem must be one of {_STEMS}, got {stem!r}')
        c = self.c_list
        self.channels_last = bool(channels_last)

        def ldga(cin: int, cout: int) -> LightweightDGA:
            return LightweightDGA(
                cin, cout, norm_cfg=norm_cfg, dw_in_1x1=dw_in_1x1)

        def down(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(DWDBlock(cin), ldga(cin, cout))

        def up(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(ldga(cin, cout), DWDBlock(cout))

        def enc(block: nn.Module, cout: int) -> EncoderStage:
            return EncoderStage(
                block, cout, norm_cfg, norm_after_pool=norm_after_pool,
                pool_first=downsample_first)

        stem_cls = DWDConv if stem == 'dwd' else ConvBNAct
        if downsample_first:
            # The stem ends in BN + ReLU already: no second stage norm.
            self.encoder1 = EncoderStage(
                stem_cls(in_channels, c[0], stride=2), c[0], None,
                downsample=False)
        else:
            self.encoder1 = enc(stem_cls(in_channels, c[0]), c[0])
        self.encoder2 = enc(down(c[0], c[1]), c[1])
        self.encoder3 = enc(down(c[1], c[2]), c[2])
        self.encoder4 = enc(down(c[2], c[3]), c[3])
        self.encoder5 = enc(down(c[3], c[4]), c[4])
        self._add_deep_stages(down(c[4], c[5]),
                              LSCAB(c[:5]) if bridge else None, [up] * 5,
                              norm_cfg)
        self._default_init()

    def _init_blocks(self) -> None:
        """The LDGA gates at 0.5 after MALUNet's rule (see
        :meth:`LightweightDGA.init_gate`)."""
        for m in self.modules():
            if isinstance(m, LightweightDGA):
                m.init_gate()

    def fuse(self) -> 'MAUNet':
        """Fold BatchNorms into convolutions for inference, in place.

        Puts the model in eval mode; outputs stay equal up to float
        rounding. Do not train a fused model.

        Returns:
            MAUNet: ``self``.
        """
        return fuse_modules(self)

    #: Alias used by re-parameterisable models (RepVGG, MobileOne).
    switch_to_deploy = fuse
