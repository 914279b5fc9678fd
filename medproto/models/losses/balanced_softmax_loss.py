# Copyright (c) medproto contributors. All rights reserved.
"""Balanced Softmax loss (Ren et al., NeurIPS 2020)."""
from typing import Optional, Sequence

import torch
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from .class_priors import (check_class_counts, check_number, check_reduction,
                           check_scores, labels_to_targets,
                           soft_cross_entropy)

_OWNER = 'BalancedSoftmaxLoss'


@MODELS.register_module()
class BalancedSoftmaxLoss(nn.Module):
    """Cross-entropy of the Balanced Softmax.

    ``p_ic = n_c exp(z_ic) / sum_j n_j exp(z_ij)`` and
    ``L_i = -log p_{i y_i} = -log softmax(z_i + log n)_{y_i}``, with ``n_c``
    the training samples of class ``c`` (Ren et al., "Balanced Meta-Softmax
    for Long-Tailed Visual Recognition", NeurIPS 2020, Eq. 4). At test time
    the plain softmax of ``z`` is used. (It equals the logit-adjusted loss
    with ``tau = 1``: ``log n`` and ``log pi`` differ by a constant.)

    Usable as an mmpretrain head loss::

        loss=dict(type='BalancedSoftmaxLoss', class_counts=[850, 440, 228])

    Args:
        class_counts (Sequence[int]): Training samples per class (C values).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to
            ``'mean'``.
        loss_weight (float): Factor on the loss. Defaults to 1.0.
    """

    def __init__(self,
                 class_counts: Sequence[int],
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        counts = check_class_counts(class_counts, _OWNER)
        check_reduction(reduction, _OWNER)
        self.reduction = reduction
        self.loss_weight = check_number(loss_weight, 'loss_weight', _OWNER)
        self.register_buffer(
            'log_counts',
            torch.as_tensor(counts, dtype=torch.float64).log().float(),
            persistent=False)

    @property
    def num_classes(self) -> int:
        """int: Number of classes C."""
        return self.log_counts.numel()

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
        check_reduction(reduction_override, _OWNER, allow_none=True)
        check_scores(cls_score, self.num_classes, _OWNER)
        target = labels_to_targets(label, self.num_classes, _OWNER)
        logits = cls_score + self.log_counts.to(cls_score)
        loss = soft_cross_entropy(
            logits, target.to(cls_score),
            None if weight is None else weight.reshape(-1).to(cls_score),
            reduction_override or self.reduction, avg_factor)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, '
                f'reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')
