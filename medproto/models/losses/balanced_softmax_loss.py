# Copyright (c) medproto contributors. All rights reserved.
"""Balanced Softmax loss (Ren et al., NeurIPS 2020)."""
from typing import Sequence

from mmpretrain.registry import MODELS

from .logit_adjusted_loss import LogitAdjustedCrossEntropyLoss


@MODELS.register_module()
class BalancedSoftmaxLoss(LogitAdjustedCrossEntropyLoss):
    """Cross-entropy of the Balanced Softmax.

    ``p_ic = n_c exp(z_ic) / sum_j n_j exp(z_ij)`` and
    ``L_i = -log p_{i y_i} = -log softmax(z_i + log n)_{y_i}``, with ``n_c``
    the training samples of class ``c`` (Ren et al., "Balanced Meta-Softmax
    for Long-Tailed Visual Recognition", NeurIPS 2020, Eq. 4). At test time
    the plain softmax of ``z`` is used. It is the logit-adjusted loss with
    ``tau = 1`` (``log n`` and ``log pi`` differ by a constant, which the
    softmax ignores), and is computed as such.

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
        super().__init__(class_counts, tau=1.0, reduction=reduction,
                         loss_weight=loss_weight)
