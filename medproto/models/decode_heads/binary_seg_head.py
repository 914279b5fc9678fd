# Copyright (c) medproto contributors. All rights reserved.
"""A 1x1 convolution producing one logit channel for binary segmentation."""
import math
from typing import List, Sequence

import torch
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class BinarySegHead(BaseDecodeHead):
    """Binary segmentation head of MALUNet / MAUNet.

    ``conv_seg`` (1x1, ``in_channels -> 1``) turns the last decoder feature
    (``C x H/2 x W/2`` for the U-Nets here) into foreground **logits**;
    mmseg upsamples them bilinearly to the label size in the loss and to the
    image size at prediction, where the sigmoid and ``threshold`` are applied
    (MALUNet's ``Conv1x1 -> up x2 -> sigmoid``, with the sigmoid moved out of
    the network so that losses and distillation see logits). The logits are
    the output of ``decode_head.conv_seg``, the module distillers record.

    Args:
        in_channels (int): Channels of the input feature. Defaults to 8.
        threshold (float): Probability at or above which a pixel is
            foreground at prediction. Defaults to 0.5.
        **kwargs: Other arguments of :class:`BaseDecodeHead` (``loss_decode``,
            ``align_corners``, ``in_index``...). ``channels`` defaults to
            ``in_channels``, ``dropout_ratio`` to 0 (MALUNet's classifier);
            ``num_classes`` is 2 and ``out_channels`` 1.
    """

    def __init__(self,
                 in_channels: int = 8,
                 threshold: float = 0.5,
                 **kwargs) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f'threshold must be in (0, 1), got {threshold}')
        for key in ('num_classes', 'out_channels'):
            if key in kwargs and kwargs[key] != dict(num_classes=2,
                                                     out_channels=1)[key]:
                raise ValueError(f'BinarySegHead has num_classes=2 and '
                                 f'out_channels=1; got {key}={kwargs[key]}')
            kwargs.pop(key, None)
        kwargs.setdefault('channels', in_channels)
        # MALUNet has no dropout before its classifier (mmseg's default 0.1).
        kwargs.setdefault('dropout_ratio', 0.)
        kwargs.setdefault('loss_decode', dict(type='BceDiceLoss'))
        super().__init__(
            in_channels=in_channels,
            num_classes=2,
            out_channels=1,
            threshold=threshold,
            **kwargs)
        if self.channels != in_channels:
            raise ValueError(f'channels ({self.channels}) must equal '
                             f'in_channels ({in_channels}): the head has no '
                             f'convolution before conv_seg')

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Logits of shape (B, 1, h, w) from the selected input feature."""
        return self.cls_seg(self._transform_inputs(inputs))

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: List) -> dict:
        """The configured losses plus pixel accuracy at ``threshold``.

        Same losses as :meth:`BaseDecodeHead.loss_by_feat` (one bilinear
        resize of the logits to the label size, optional pixel sampler),
        but ``acc_seg`` thresholds the probability: mmseg's arg-max over
        channels is always 0 for one channel. The accuracy is computed
        with masked sums, not boolean indexing, which on CPU cost as much
        as the whole forward pass of the student.

        Args:
            seg_logits (Tensor): Logits, shape (B, 1, h, w).
            batch_data_samples (list[SegDataSample]): With ``gt_sem_seg``.

        Returns:
            dict[str, Tensor]: Losses by name and ``acc_seg`` (percent).
        """
        seg_label = self._stack_batch_gt(batch_data_samples)
        seg_logits = resize(seg_logits, size=seg_label.shape[2:],
                            mode='bilinear', align_corners=self.align_corners)
        seg_weight = None if self.sampler is None else \
            self.sampler.sample(seg_logits, seg_label)
        seg_label = seg_label.squeeze(1)
        losses = dict()
        loss_decode = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        for loss_fn in loss_decode:
            value = loss_fn(seg_logits, seg_label, weight=seg_weight,
                            ignore_index=self.ignore_index)
            name = loss_fn.loss_name
            losses[name] = losses[name] + value if name in losses else value
        with torch.no_grad():
            valid = seg_label != self.ignore_index
            # sigmoid(z) >= t  <=>  z >= logit(t)
            pred = seg_logits[:, 0] >= math.log(
                self.threshold / (1. - self.threshold))
            correct = (pred == (seg_label == 1)) & valid
            losses['acc_seg'] = correct.sum() * 100. / valid.sum().clamp_min(1)
        return losses
