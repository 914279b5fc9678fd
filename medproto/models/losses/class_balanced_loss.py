# Copyright (c) medproto contributors. All rights reserved.
"""Class-balanced loss (Cui et al., CVPR 2019) for mmpretrain heads."""
from collections.abc import Iterable
from numbers import Integral
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.models.losses.utils import weight_reduce_loss
from mmpretrain.registry import MODELS
from torch import Tensor, nn

_LOSS_TYPES = ('softmax', 'sigmoid', 'focal')
_REDUCTIONS = ('none', 'mean', 'sum')


def class_balanced_weights(class_counts: Sequence[int],
                           beta: float) -> Tensor:
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

    Returns:
        Tensor: float32 weights, shape (C,), summing to C.
    """
    if isinstance(class_counts, Tensor):
        class_counts = class_counts.tolist()
    counts = list(class_counts) if isinstance(class_counts,
                                              Iterable) else []
    if not counts or isinstance(class_counts, str) or any(
            isinstance(n, bool) or not isinstance(n, Integral) or n < 1
            for n in counts):
        raise ValueError('class_counts must be a non-empty list of ints >= 1 '
                         f'(training samples per class), got {class_counts!r}')
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not (
            0.0 <= beta < 1.0):
        raise ValueError(f'beta must be a float in [0, 1), got {beta!r}')
    n = torch.as_tensor([float(c) for c in counts], dtype=torch.float64)
    effective_num = (1.0 - beta**n) / (1.0 - beta)
    weights = 1.0 / effective_num
    weights = weights / weights.sum() * len(counts)
    return weights.float()


def _labels_to_targets(label: Tensor, num_classes: int) -> Tensor:
    """Hard labels (N,) or soft/one-hot labels (N, C) -> float (N, C)."""
    if label.dim() == 2 and label.size(1) == num_classes:
        return label.float()
    label = label.reshape(-1)
    if label.is_floating_point():
        raise ValueError('label must be class indices (N,) or scores (N, C)'
                         f', got a float tensor of shape {tuple(label.shape)}')
    if label.numel() and (label.min() < 0 or label.max() >= num_classes):
        raise ValueError(f'label values must be in [0, {num_classes}), got '
                         f'[{int(label.min())}, {int(label.max())}]')
    return F.one_hot(label.long(), num_classes).float()


@MODELS.register_module()
class ClassBalancedCrossEntropyLoss(nn.Module):
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
            raise ValueError(
                f'loss_type must be one of {_LOSS_TYPES}, got {loss_type!r}')
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f'reduction must be one of {_REDUCTIONS}, got {reduction!r}')
        if not isinstance(gamma, (int, float)) or gamma < 0:
            raise ValueError(f'gamma must be a number >= 0, got {gamma!r}')
        if not isinstance(loss_weight, (int, float)) or loss_weight < 0:
            raise ValueError(
                f'loss_weight must be a number >= 0, got {loss_weight!r}')
        self.beta = beta
        self.loss_type = loss_type
        self.gamma = float(gamma)
        self.reduction = reduction
        self.loss_weight = float(loss_weight)
        # Derived from the config, so kept out of checkpoints.
        self.register_buffer(
            'class_weights',
            class_balanced_weights(class_counts, beta),
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

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        """Compute the class-balanced loss.

        Args:
            cls_score (Tensor): Logits, shape (N, C).
            label (Tensor): Class indices (N,) or scores (N, C).
            weight (Tensor, optional): Extra per-sample weight, shape (N,).
            avg_factor (float, optional): Divide the summed loss by this
                instead of N (only with reduction ``'mean'``).
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: The loss, a scalar or (N,) for reduction ``'none'``.
        """
        if reduction_override not in (None, ) + _REDUCTIONS:
            raise ValueError('reduction_override must be None or one of '
                             f'{_REDUCTIONS}, got {reduction_override!r}')
        reduction = reduction_override or self.reduction
        if cls_score.dim() != 2 or cls_score.size(1) != self.num_classes:
            raise ValueError(
                f'cls_score must be (N, {self.num_classes}) to match '
                f'class_counts, got {tuple(cls_score.shape)}')
        target = _labels_to_targets(label, self.num_classes).to(cls_score)
        sample_weight = target @ self.class_weights.to(cls_score)
        if weight is not None:
            sample_weight = sample_weight * weight.reshape(-1).to(cls_score)
        loss = self._per_sample_loss(cls_score, target)
        loss = weight_reduce_loss(
            loss,
            weight=sample_weight,
            reduction=reduction,
            avg_factor=avg_factor)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, beta={self.beta}, '
                f'loss_type={self.loss_type!r}, gamma={self.gamma}, '
                f'reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')
