# Copyright (c) medproto contributors. All rights reserved.
"""Logit distillation for single-channel (sigmoid) segmentation outputs."""
import torch
from torch import Tensor

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import check_positive, check_same_shape, kl_div_with_temperature


def sigmoid_to_two_class_logits(logits: Tensor) -> Tensor:
    """``(N, 1, ...)`` logits ``z`` -> ``(N, 2, ...)`` logits ``[z, 0]``.

    ``softmax([z, 0]) = [sigmoid(z), 1 - sigmoid(z)]``, also after dividing
    by a temperature.
    """
    return torch.cat([logits, torch.zeros_like(logits)], dim=1)


@MODELS.register_module()
class BinaryKDLoss(BaseDistillLoss):
    """Per-pixel KD between foreground/background distributions.

    For single-channel logits ``z`` the per-pixel distribution is
    ``q = [sigmoid(z / tau), 1 - sigmoid(z / tau)]`` and
    ``L = tau^2 * mean_pixels KL(q_T || q_S)`` (Hinton et al. 2015 applied
    to a binary output). Inputs with C >= 2 channels use
    ``softmax(z / tau)`` over the channels instead.

    MicroAUNet's public ``train.py`` (JeremyXSC/MicroAUNet) takes a softmax
    over the channel dim of its 1-channel *sigmoid probability* map: that
    softmax is identically 1, so its KL term is always 0 with no gradient.
    This loss fixes both issues (two-class distribution, built from logits).

    Args:
        tau (float): Temperature (> 0). Defaults to 1.0.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        self.tau = check_positive('tau', tau)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits (pre-sigmoid / pre-softmax),
                (N, C, H, W) or (N, C), C = 1 or C >= 2.
            preds_T (Tensor): Teacher logits, same shape; detached here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        check_same_shape(preds_S, preds_T, type(self).__name__)
        if preds_S.dim() < 2:
            raise ValueError('BinaryKDLoss needs logits (N, C, ...), got '
                             f'shape {tuple(preds_S.shape)}')
        preds_T = preds_T.detach()
        if preds_S.size(1) == 1:
            preds_S = sigmoid_to_two_class_logits(preds_S)
            preds_T = sigmoid_to_two_class_logits(preds_T)
        kl = kl_div_with_temperature(preds_S, preds_T, self.tau)
        return self.loss_weight * kl.mean()

    def extra_repr(self) -> str:
        return f'tau={self.tau}, {super().extra_repr()}'
