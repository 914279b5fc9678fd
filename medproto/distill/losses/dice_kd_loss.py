# Copyright (c) medproto contributors. All rights reserved.
"""Soft-Dice distillation between student and teacher segmentation maps."""
import torch
from torch import Tensor

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import check_non_negative, check_positive, check_same_shape


@MODELS.register_module()
class DiceKDLoss(BaseDistillLoss):
    """``L = mean_{n, c} (1 - soft_dice(p_S[n, c], p_T[n, c]))``.

    The teacher's probability map is the soft target of a Dice loss:
    ``soft_dice(a, b) = (2 * sum(a * b) + eps) / (sum(a) + sum(b) + eps)``
    over the pixels of one image and channel (Milletari et al., "V-Net",
    3DV 2016, with the teacher's map in place of the ground truth). Pixel
    averaged output terms (:class:`BinaryKDLoss`, :class:`L2Loss`) are
    dominated by the background, which covers most of a polyp image and
    where the teacher is confidently right; this term is normalised by the
    foreground of the two maps, as the Dice term of the task loss is, so
    a student that drops the lesion pays for it whatever its size.

    Single-channel logits use ``sigmoid(z / tau)`` (the foreground map);
    C >= 2 channels use ``softmax(z / tau)`` over the channels and average
    the Dice of every channel.

    Args:
        tau (float): Temperature applied to both logits (> 0). Defaults to
            1.0.
        eps (float): Smoothing added to numerator and denominator (>= 0);
            with 0 an image where both maps are empty gives NaN. Defaults
            to 1.0.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self,
                 tau: float = 1.0,
                 eps: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        self.tau = check_positive('tau', tau)
        self.eps = check_non_negative('eps', eps)

    def _probabilities(self, logits: Tensor) -> Tensor:
        if logits.size(1) == 1:
            return torch.sigmoid(logits / self.tau)
        return torch.softmax(logits / self.tau, dim=1)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (N, C, H, W) with C = 1
                (sigmoid) or C >= 2 (softmax).
            preds_T (Tensor): Teacher logits, same shape; detached here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        check_same_shape(preds_S, preds_T, type(self).__name__)
        if preds_S.dim() != 4:
            raise ValueError('DiceKDLoss needs segmentation logits '
                             f'(N, C, H, W), got shape {tuple(preds_S.shape)}')
        p_s = self._probabilities(preds_S).flatten(2)
        p_t = self._probabilities(preds_T.detach()).flatten(2)
        overlap = (p_s * p_t).sum(-1)
        total = p_s.sum(-1) + p_t.sum(-1)
        dice = (2 * overlap + self.eps) / (total + self.eps)
        return self.loss_weight * (1 - dice).mean()

    def extra_repr(self) -> str:
        return f'tau={self.tau}, eps={self.eps}, {super().extra_repr()}'
