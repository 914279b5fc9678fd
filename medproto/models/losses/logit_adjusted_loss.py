# Copyright (c) medproto contributors. All rights reserved.
"""Logit-adjusted cross-entropy (Menon et al., ICLR 2021)."""
from typing import Optional, Sequence

from mmpretrain.registry import MODELS
from torch import Tensor

from .class_priors import (ClassCountLoss, check_class_counts, check_number,
                           check_reduction, log_prior, soft_cross_entropy)


@MODELS.register_module()
class LogitAdjustedCrossEntropyLoss(ClassCountLoss):
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
        self.loss_weight = check_number(loss_weight, 'loss_weight',
                                        type(self).__name__)
        # Derived from the config, so kept out of checkpoints.
        self.register_buffer('log_prior', log_prior(counts), persistent=False)

    @property
    def num_classes(self) -> int:
        """int: Number of classes C."""
        return self.log_prior.numel()

    def _loss(self, cls_score: Tensor, target: Tensor,
              weight: Optional[Tensor], reduction: str,
              avg_factor: Optional[float]) -> Tensor:
        """Soft cross-entropy of the prior-shifted logits (see
        :meth:`ClassCountLoss._loss`)."""
        logits = cls_score + self.tau * self.log_prior.to(cls_score)
        return soft_cross_entropy(logits, target, weight, reduction,
                                  avg_factor)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, tau={self.tau}, '
                f'reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')
