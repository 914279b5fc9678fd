# Copyright (c) medproto contributors. All rights reserved.
"""Decoupled knowledge distillation (Zhao et al., CVPR 2022)."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import (check_non_negative, check_positive, check_warmup,
                    kl_div_with_temperature, warmup_factor)


def _split_target(logits: Tensor, gt_label: Tensor) -> Tuple[Tensor, Tensor]:
    """Binary target/non-target log-probabilities and non-target logits.

    Args:
        logits (Tensor): Temperature-scaled logits, shape (N, C).
        gt_label (Tensor): Class indices, shape (N,).

    Returns:
        tuple[Tensor, Tensor]: ``log [p_gt, 1 - p_gt]`` of shape (N, 2),
        computed in log space, and the non-target logits of shape
        (N, C - 1) (class order kept).
    """
    target_mask = F.one_hot(gt_label, logits.size(1)).bool()
    non_target = logits[~target_mask].view(logits.size(0), -1)
    log_z = torch.logsumexp(logits, dim=1)
    log_p_gt = logits[target_mask] - log_z
    log_p_rest = torch.logsumexp(non_target, dim=1) - log_z
    return torch.stack([log_p_gt, log_p_rest], dim=1), non_target


@MODELS.register_module()
class DKDLoss(BaseDistillLoss):
    """Decoupled KD: target-class (TCKD) + non-target-class (NCKD) terms.

    With ``p = softmax(z / tau)`` and GT class ``t`` (Zhao et al.,
    "Decoupled Knowledge Distillation", CVPR 2022):

    * ``TCKD = tau^2 * KL(b^T || b^S)``, ``b = [p_t, 1 - p_t]``;
    * ``NCKD = tau^2 * KL(p_hat^T || p_hat^S)``, ``p_hat`` the softmax over
      the C - 1 non-target logits;
    * ``L = min(progress / warmup, 1) * (alpha * TCKD + beta * NCKD)``,
      averaged over the batch.

    mdistiller builds ``p_hat`` by subtracting 1000 from the GT logit and
    ``b`` by taking the log of summed probabilities, which leaves a small
    GT mass in ``p_hat``, overflows in fp16 and gives ``log(0)`` when a
    probability underflows. Here the GT logit is *removed* (the KL runs over
    the C - 1 other classes) and ``log b`` is computed with ``logsumexp``.

    Defaults are mdistiller's CIFAR-100 ones (alpha 1, beta 8, tau 4,
    20 warm-up epochs; ImageNet: beta 0.5, tau 1, warm-up 1).

    Args:
        alpha (float): TCKD weight (>= 0). Defaults to 1.0.
        beta (float): NCKD weight (>= 0). Defaults to 8.0.
        tau (float): Temperature (> 0). Defaults to 4.0.
        warmup_epochs (int, optional): Linear warm-up length in epochs.
            Defaults to 20.
        warmup_iters (int, optional): Linear warm-up length in iterations;
            when set it is used instead of ``warmup_epochs``.
            Defaults to None.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 tau: float = 4.0,
                 warmup_epochs: Optional[int] = 20,
                 warmup_iters: Optional[int] = None,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        self.alpha = check_non_negative('alpha', alpha)
        self.beta = check_non_negative('beta', beta)
        self.tau = check_positive('tau', tau)
        check_warmup(warmup_iters, warmup_epochs)
        self.warmup_epochs = warmup_epochs
        self.warmup_iters = warmup_iters

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                gt_label: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (N, C) with C >= 2.
            preds_T (Tensor): Teacher logits, (N, C); detached here.
            gt_label (Tensor): Class indices, (N,).

        Returns:
            Tensor: The weighted scalar loss.
        """
        if preds_S.dim() != 2 or preds_S.shape != preds_T.shape or (
                preds_S.size(1) < 2):
            raise ValueError('DKDLoss needs (N, C) logits with C >= 2 of the'
                             f' same shape, got {tuple(preds_S.shape)} and '
                             f'{tuple(preds_T.shape)}')
        gt_label = gt_label.reshape(-1).long()
        if gt_label.numel() != preds_S.size(0):
            raise ValueError(f'gt_label must be class indices of shape '
                             f'({preds_S.size(0)},), got {gt_label.numel()} '
                             'values (one-hot / mixed labels are not '
                             'supported)')
        log_b_S, rest_S = _split_target(preds_S / self.tau, gt_label)
        log_b_T, rest_T = _split_target(preds_T.detach() / self.tau,
                                        gt_label)
        tckd = F.kl_div(
            log_b_S, log_b_T, reduction='none', log_target=True).sum(dim=1)
        tckd = tckd * self.tau**2
        # rest_* are already divided by tau.
        nckd = kl_div_with_temperature(rest_S, rest_T, 1.0) * self.tau**2
        loss = (self.alpha * tckd + self.beta * nckd).mean()
        factor = warmup_factor(self.progress, self.warmup_iters,
                               self.warmup_epochs)
        return self.loss_weight * factor * loss

    def extra_repr(self) -> str:
        return (f'alpha={self.alpha}, beta={self.beta}, tau={self.tau}, '
                f'warmup_epochs={self.warmup_epochs}, warmup_iters='
                f'{self.warmup_iters}, {super().extra_repr()}')
