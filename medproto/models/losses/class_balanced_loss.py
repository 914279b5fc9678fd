# Copyright (c) medproto contributors. All rights reserved.
"""Class-balanced loss (Cui et al., CVPR 2019) for mmpretrain heads."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.models.losses.utils import weight_reduce_loss
from mmpretrain.registry import MODELS
from torch import Tensor

from .class_priors import (ClassCountLoss, check_class_counts, check_number,
                           check_reduction)

_LOSS_TYPES = ('softmax', 'sigmoid', 'focal')
_OWNER = 'ClassBalancedCrossEntropyLoss'


def class_balanced_weights(class_counts: Sequence[int],
                           beta: float,
                           owner: str = 'class_balanced_weights') -> Tensor:
    """Per-class weights from the effective number of samples.

    With ``n_c`` training samples of class ``c`` the effective number is
    ``E_c = (1 - beta^{n_c}) / (1 - beta)``; the weight is ``1 / E_c``,
    rescaled so that the ``C`` weights sum to ``C``
    (Cui et al., "Class-Balanced Loss Based on Effective Number of Samples",
    CVPR 2019). ``beta = 0`` gives equal weights, ``beta -> 1`` inverse
    class frequency.

    Args:
        class_counts (Sequence[int]): Number of training samples per class
            (each >= 1), length C.
        beta (float): Hyper-parameter in ``[0, 1)``; the paper uses 0.9,
            0.99, 0.999 or 0.9999.
        owner (str): Who asks, first word of a ``class_counts`` error.
            Defaults to ``'class_balanced_weights'``.

    Returns:
        Tensor: float32 weights, shape (C,), summing to C.
    """
    counts = check_class_counts(class_counts, owner)
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not (
            0.0 <= beta < 1.0):
        raise ValueError(f'beta must be a float in [0, 1), got {beta!r}')
    n = torch.as_tensor([float(c) for c in counts], dtype=torch.float64)
    effective_num = (1.0 - beta**n) / (1.0 - beta)
    weights = 1.0 / effective_num
    weights = weights / weights.sum() * len(counts)
    return weights.float()


@MODELS.register_module()
class ClassBalancedCrossEntropyLoss(ClassCountLoss):
    """Class-balanced softmax CE / sigmoid BCE / focal loss.

    ``L_i = w_{y_i} * l(z_i, y_i)`` with the class weights ``w`` of
    :func:`class_balanced_weights` (Cui et al., CVPR 2019) and ``l`` one of

    * ``'softmax'``: ``-sum_c y_ic log softmax(z_i)_c``;
    * ``'sigmoid'``: ``sum_c BCE(z_ic, y_ic)``;
    * ``'focal'``: ``sum_c (1 - p_t)^gamma BCE(z_ic, y_ic)``, with the
      modulating factor written as ``exp(-gamma (y z + log(1 + e^{-z})))``
      as in the official code (it equals ``(1 - p_t)^gamma`` for 0/1 labels).

    The sigmoid and focal variants sum over classes and then average over
    samples, as the official code divides the summed focal loss by the number
    of samples. Soft / one-hot labels ``(N, C)`` (mmpretrain batch
    augmentations) are accepted; their sample weight is ``sum_c y_ic w_c``.

    Usable as an mmpretrain head loss::

        loss=dict(type='ClassBalancedCrossEntropyLoss',
                  class_counts=[500, 120, 31], beta=0.9999)

    Args:
        class_counts (Sequence[int]): Training samples per class.
        beta (float): Effective-number hyper-parameter in ``[0, 1)``.
            Defaults to 0.9999 (the official CIFAR script).
        loss_type (str): ``'softmax'``, ``'sigmoid'`` or ``'focal'``.
            Defaults to ``'softmax'``.
        gamma (float): Focal exponent (>= 0), only for ``'focal'``.
            Defaults to 2.0 (the official code uses 1.0).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'`` over samples.
            Defaults to ``'mean'``.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self,
                 class_counts: Sequence[int],
                 beta: float = 0.9999,
                 loss_type: str = 'softmax',
                 gamma: float = 2.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if loss_type not in _LOSS_TYPES:
            raise ValueError(f'{_OWNER}: loss_type must be one of '
                             f'{_LOSS_TYPES}, got {loss_type!r}')
        check_reduction(reduction, _OWNER)
        self.beta = beta
        self.loss_type = loss_type
        self.gamma = check_number(gamma, 'gamma', _OWNER)
        self.reduction = reduction
        self.loss_weight = check_number(loss_weight, 'loss_weight', _OWNER)
        # Derived from the config, so kept out of checkpoints.
        self.register_buffer(
            'class_weights',
            class_balanced_weights(class_counts, beta, _OWNER),
            persistent=False)

    @property
    def num_classes(self) -> int:
        """int: Number of classes C."""
        return self.class_weights.numel()

    def _per_sample_loss(self, cls_score: Tensor, target: Tensor) -> Tensor:
        """Un-weighted loss per sample, shape (N,)."""
        if self.loss_type == 'softmax':
            return -(target * F.log_softmax(cls_score, dim=1)).sum(dim=1)
        bce = F.binary_cross_entropy_with_logits(
            cls_score, target, reduction='none')
        if self.loss_type == 'focal' and self.gamma > 0:
            # (1 - p_t)^gamma, in log space: -gamma * (y z + log(1 + e^-z))
            log_modulator = -self.gamma * (
                target * cls_score + F.softplus(-cls_score))
            bce = bce * torch.exp(log_modulator)
        return bce.sum(dim=1)

    def _loss(self, cls_score: Tensor, target: Tensor,
              weight: Optional[Tensor], reduction: str,
              avg_factor: Optional[float]) -> Tensor:
        """The class-balanced loss of :meth:`ClassCountLoss._loss`'s
        inputs: sample weight ``sum_c t_ic w_c`` (times ``weight``);
        ``avg_factor`` replaces N in the ``'mean'``."""
        sample_weight = target @ self.class_weights.to(cls_score)
        if weight is not None:
            sample_weight = sample_weight * weight
        return weight_reduce_loss(
            self._per_sample_loss(cls_score, target),
            weight=sample_weight,
            reduction=reduction,
            avg_factor=avg_factor)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, beta={self.beta}, '
                f'loss_type={self.loss_type!r}, gamma={self.gamma}, '
                f'reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')
