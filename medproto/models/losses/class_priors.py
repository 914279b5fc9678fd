# Copyright (c) medproto contributors. All rights reserved.
"""Shared pieces of the losses built from training class counts (logit
adjustment, Balanced Softmax, LDAM, class-balanced CE): checked class counts,
reductions, scores and labels, soft-label cross-entropy, and their base
class :class:`ClassCountLoss` (the mmpretrain head-loss call)."""
from collections.abc import Iterable
from numbers import Integral
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.models.losses.utils import weight_reduce_loss
from torch import Tensor, nn

REDUCTIONS = ('none', 'mean', 'sum')


def check_class_counts(class_counts: Sequence[int], owner: str) -> List[int]:
    """``class_counts`` as a list of ints >= 1, else one clear ValueError.

    Args:
        class_counts (Sequence[int]): Training samples per class, length C.
        owner (str): Name of the component, for the message.

    Returns:
        list[int]: The counts.
    """
    if isinstance(class_counts, Tensor):
        class_counts = class_counts.tolist()
    counts = list(class_counts) if isinstance(
        class_counts, Iterable) and not isinstance(class_counts, str) else []
    if not counts or any(
            isinstance(n, bool) or not isinstance(n, Integral) or n < 1
            for n in counts):
        raise ValueError(f'{owner}: class_counts must be a non-empty list of '
                         f'ints >= 1 (training samples per class), got '
                         f'{class_counts!r}')
    return [int(n) for n in counts]


def check_number(value: float, name: str, owner: str,
                 minimum: float = 0.0) -> float:
    """``value`` as a float >= ``minimum``, else one clear ValueError."""
    if isinstance(value, bool) or not isinstance(
            value, (int, float)) or value < minimum:
        raise ValueError(f'{owner}: {name} must be a number >= {minimum}, got '
                         f'{value!r}')
    return float(value)


def check_reduction(reduction: Optional[str], owner: str,
                    allow_none: bool = False) -> None:
    """Raise unless ``reduction`` is one of :data:`REDUCTIONS`."""
    if allow_none and reduction is None:
        return
    if reduction not in REDUCTIONS:
        raise ValueError(f'{owner}: reduction must be one of {REDUCTIONS}, '
                         f'got {reduction!r}')


def log_prior(class_counts: Sequence[int]) -> Tensor:
    """``log pi_c`` with ``pi_c = n_c / sum_j n_j``, float32, shape (C,)."""
    counts = torch.as_tensor(class_counts, dtype=torch.float64)
    return (counts / counts.sum()).log().float()


def labels_to_targets(label: Tensor, num_classes: int, owner: str) -> Tensor:
    """Class indices (N,) or soft / one-hot labels (N, C) -> float (N, C).

    Args:
        label (Tensor): Hard labels (N,) or label scores (N, C).
        num_classes (int): C.
        owner (str): Name of the component, for the message.

    Returns:
        Tensor: Targets, shape (N, C).
    """
    if label.dim() == 2 and label.size(1) == num_classes:
        return label.float()
    label = label.reshape(-1)
    if label.is_floating_point():
        raise ValueError(f'{owner}: label must be class indices (N,) or '
                         f'scores (N, {num_classes}), got a float tensor of '
                         f'shape {tuple(label.shape)}')
    if label.numel() and (label.min() < 0 or label.max() >= num_classes):
        raise ValueError(f'{owner}: label values must be in [0, '
                         f'{num_classes}), got [{int(label.min())}, '
                         f'{int(label.max())}]')
    return F.one_hot(label.long(), num_classes).float()


def check_scores(cls_score: Tensor, num_classes: int, owner: str) -> None:
    """Raise unless ``cls_score`` is (N, C) with C = len(class_counts)."""
    if cls_score.dim() != 2 or cls_score.size(1) != num_classes:
        raise ValueError(f'{owner}: cls_score must be (N, {num_classes}) to '
                         f'match class_counts, got {tuple(cls_score.shape)}')


def soft_cross_entropy(logits: Tensor,
                       target: Tensor,
                       weight: Optional[Tensor] = None,
                       reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> Tensor:
    """``-sum_c t_ic log softmax(logits_i)_c``, weighted and reduced.

    Args:
        logits (Tensor): Shape (N, C).
        target (Tensor): Shape (N, C), rows summing to 1.
        weight (Tensor, optional): Per-sample weights, shape (N,).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        avg_factor (float, optional): Divisor of the ``'mean'``.

    Returns:
        Tensor: A scalar, or shape (N,) for ``'none'``.
    """
    loss = -(target * F.log_softmax(logits, dim=1)).sum(dim=1)
    return weight_reduce_loss(
        loss, weight=weight, reduction=reduction, avg_factor=avg_factor)


class ClassCountLoss(nn.Module):
    """Base of the head losses built from training class counts (not
    registered): the mmpretrain head-loss call, its checks and
    ``loss_weight``.

    A subclass sets ``self.reduction`` and ``self.loss_weight``, defines
    :attr:`num_classes` and computes the loss in :meth:`_loss` from checked
    inputs; errors name the subclass.
    """
    reduction: str
    loss_weight: float

    @property
    def num_classes(self) -> int:
        """int: Number of classes C."""
        raise NotImplementedError

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
            weight (Tensor, optional): Extra per-sample weights, shape (N,).
            avg_factor (float, optional): Divisor of the ``'mean'`` (see
                the subclass).
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: ``loss_weight`` times the loss, a scalar or shape (N,)
            for reduction ``'none'``.
        """
        owner = type(self).__name__
        check_reduction(reduction_override, owner, allow_none=True)
        check_scores(cls_score, self.num_classes, owner)
        target = labels_to_targets(label, self.num_classes, owner).to(
            cls_score)
        if weight is not None:
            weight = weight.reshape(-1).to(cls_score)
        return self.loss_weight * self._loss(
            cls_score, target, weight, reduction_override or self.reduction,
            avg_factor)

    def _loss(self, cls_score: Tensor, target: Tensor,
              weight: Optional[Tensor], reduction: str,
              avg_factor: Optional[float]) -> Tensor:
        """The loss before ``loss_weight``.

        Args:
            cls_score (Tensor): Logits, shape (N, C).
            target (Tensor): Label scores, shape (N, C), float like
                ``cls_score``.
            weight (Tensor, optional): Per-sample weights, shape (N,).
            reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            avg_factor (float, optional): Divisor of the ``'mean'``.

        Returns:
            Tensor: A scalar, or shape (N,) for ``'none'``.
        """
        raise NotImplementedError
