# Copyright (c) medproto contributors. All rights reserved.
"""Logit-adjusted cross-entropy (Menon et al., ICLR 2021)."""
from typing import Optional, Sequence

from mmpretrain.registry import MODELS
from torch import Tensor, nn

from .class_priors import (check_class_counts, check_number, check_reduction,
                           check_scores, labels_to_targets, log_prior,
                           soft_cross_entropy)



@MODELS.register_module()
class LogitAdjustedCrossEntropyLoss(nn.Module):
    """Softmax cross-entropy on prior-shifted logits.

    ``L_i = -log softmax(z_i + tau * log pi)_{y_i}`` with the training-set
    class prior ``pi_c = n_c / sum_j n_j`` (Menon et al., "Long-tail
    learning via logit adjustment", ICLR 2021, Eq. 10: the logit-adjusted
    loss; ``tau = 1`` is the Bayes-consistent choice for the balanced
    error). The model's own logits ``z`` are then used unchanged at test
    time. The post-hoc variant (plain CE in training, ``z - tau log pi`` at
    test time) is :class:`~medproto.models.heads.PostHocLinearClsHead`'s
    ``logit_adjust_tau``.

    Usable as an mmpretrain head loss::

        loss=dict(type='LogitAdjustedCrossEntropyLoss',
                  class_counts=[850, 440, 228], tau=1.0)

    Args:
        class_counts (Sequence[int]): Training samples per class (C values).
        tau (float): Scale of the adjustment, >= 0 (0 is plain CE).
            Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to
            ``'mean'``.
        loss_weight (float): Factor on the loss. Defaults to 1.0.
    """

    def __init__(self,
                 class_counts: Sequence[int],
                 tau: float = 1.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        counts = check_class_counts(class_counts, type(self).__name__)
        self.tau = check_number(tau, 'tau', type(self).__name__)
        check_reduction(reduction, type(self).__name__)
        self.reduction = reduction
        self.loss_weight = check_number(loss_weight, 'loss_weight', type(self).__name__)
        # Derived from the config, so kept out of checkpoints.
        self.register_buffer('log_prior', log_prior(counts), persistent=False)

    @property
    def num_classes(self) -> int:
        """int: Number of classes C."""
        return self.log_prior.numel()

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Logits, shape (N, C).
            label (Tensor): Class indices (N,) or label scores (N, C).
            weight (Tensor, optional): Per-sample weights, shape (N,).
            avg_factor (float, optional): Divisor of the ``'mean'``.
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: A scalar, or shape (N,) for reduction ``'none'``.
        """
        check_reduction(reduction_override, type(self).__name__, allow_none=True)
        check_scores(cls_score, self.num_classes, type(self).__name__)
        target = labels_to_targets(label, self.num_classes, type(self).__name__)
        logits = cls_score + self.tau * self.log_prior.to(cls_score)
        loss = soft_cross_entropy(
            logits, target.to(cls_score),
            None if weight is None else weight.reshape(-1).to(cls_score),
            reduction_override or self.reduction, avg_factor)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, tau={self.tau}, '
                f'reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')
