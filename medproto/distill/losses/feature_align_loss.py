# Copyright (c) medproto contributors. All rights reserved.
"""Multi-stage feature alignment (MicroAUNet's intended imitation term)."""
from typing import Optional, Sequence

import torch.nn.functional as F
from torch import Tensor

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import (TensorOrList, check_non_negative, check_same_shape,
                    paired_tensor_lists)


@MODELS.register_module()
class FeatureAlignLoss(BaseDistillLoss):
    """Weighted mean over stages of the MSE between student/teacher features.

    ``L = (1 / S) * sum_l w_l * mean((n(F_S^l) - n(F_T^l))^2)`` over the S
    stages (e.g. the skip features t1..t5 of MALUNet and MAUNet), where ``n``
    is the identity or, with ``normalize=True``, the L2 normalisation of each
    pixel's channel vector (so only feature directions are matched).

    This is the feature branch that MicroAUNet's ``ImitationLoss`` intends
    (``sum_l lambda_l ||F_S^l - F_T^l||^2``); in the public code
    (JeremyXSC/MicroAUNet ``train.py``) the feature lists are passed into the
    wrong arguments, so that branch never runs.

    Args:
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        normalize (bool): L2-normalise features over channels per pixel
            before comparing. Defaults to False.
        stage_weights (Sequence[float], optional): ``w_l`` per stage (>= 0);
            all 1 when None. Defaults to None.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 normalize: bool = False,
                 stage_weights: Optional[Sequence[float]] = None) -> None:
        super().__init__(loss_weight)
        if not isinstance(normalize, bool):
            raise ValueError(f'normalize must be a bool, got {normalize!r}')
        self.normalize = normalize
        if stage_weights is not None:
            if not isinstance(stage_weights, (list, tuple)) or not (
                    stage_weights):
                raise ValueError(
                    'stage_weights must be None or a non-empty list of '
                    f'numbers >= 0, got {stage_weights!r}')
            stage_weights = [
                check_non_negative(f'stage_weights[{i}]', w)
                for i, w in enumerate(stage_weights)
            ]
        self.stage_weights = stage_weights

    def forward(self, feats_S: TensorOrList, feats_T: TensorOrList) -> Tensor:
        """Compute the loss.

        Args:
            feats_S (Tensor | Sequence[Tensor]): Student feature(s), each
                (N, C_l, H_l, W_l).
            feats_T (Tensor | Sequence[Tensor]): Teacher feature(s) of the
                same shapes; detached here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        pairs = paired_tensor_lists(feats_S, feats_T, type(self).__name__)
        weights = self.stage_weights or [1.0] * len(pairs)
        if len(weights) != len(pairs):
            raise ValueError(f'stage_weights has {len(weights)} entries but '
                             f'{len(pairs)} feature pairs were given')
        loss = 0.0
        for weight, (feat_S, feat_T) in zip(weights, pairs):
            check_same_shape(feat_S, feat_T, type(self).__name__)
            if self.normalize:
                feat_S = F.normalize(feat_S, dim=1)
                feat_T = F.normalize(feat_T, dim=1)
            loss = loss + weight * F.mse_loss(feat_S, feat_T)
        return self.loss_weight * loss / len(pairs)

    def extra_repr(self) -> str:
        return (f'normalize={self.normalize}, stage_weights='
                f'{self.stage_weights}, {super().extra_repr()}')
