# Copyright (c) medproto contributors. All rights reserved.
r"""Exponential long-tail subsampling (the CIFAR-100-LT profile).

Class ``i`` of ``C`` (in head-to-tail order) keeps

.. math::

    n_i = \lfloor n_{max} \cdot (1 / \rho)^{i / (C - 1)} \rfloor

samples, where :math:`\rho` is the imbalance factor and :math:`n_{max}` the
size of the largest class, so the head keeps every sample and the tail
:math:`n_{max} / \rho` (Cui et al., CVPR 2019; Cao et al., NeurIPS 2019).
"""
from typing import List, Optional, Sequence

import numpy as np


def long_tail_counts(num_max: int, num_classes: int,
                     imbalance_factor: float) -> List[int]:
    """Per-class target sizes of the exponential profile.

    Args:
        num_max (int): Size of the head class (``>= 1``).
        num_classes (int): Number of classes (``>= 1``).
        imbalance_factor (float): Ratio head / tail size (``>= 1``).

    Returns:
        list[int]: ``num_classes`` non-increasing sizes, head first; every
        size is at least 1.
    """
    if num_max < 1:
        raise ValueError(f'`num_max` must be >= 1, got {num_max}')
    if num_classes < 1:
        raise ValueError(f'`num_classes` must be >= 1, got {num_classes}')
    if imbalance_factor < 1:
        raise ValueError(
            f'`imbalance_factor` must be >= 1, got {imbalance_factor}')
    if num_classes == 1:
        return [int(num_max)]
    ratio = 1.0 / float(imbalance_factor)
    return [
        max(1, int(num_max * ratio**(i / (num_classes - 1))))
        for i in range(num_classes)
    ]


def make_long_tail_indices(labels: Sequence[int],
                           imbalance_factor: float,
                           seed: int = 0,
                           num_classes: Optional[int] = None,
                           class_order: Optional[Sequence[int]] = None
                           ) -> np.ndarray:
    """Indices of a long-tailed subset of a labelled dataset.

    The head class keeps ``n_max`` samples, the size of the largest class
    available; the others follow :func:`long_tail_counts`. Within a class the
    kept samples are drawn at random (seeded). A class with fewer samples
    than its target keeps all of them.

    Args:
        labels (Sequence[int]): Label of every sample, in ``[0, C)``.
        imbalance_factor (float): Ratio head / tail size (``>= 1``).
        seed (int): Seed of the per-class draws. Defaults to 0.
        num_classes (int, optional): ``C``; defaults to ``max(labels) + 1``.
        class_order (Sequence[int], optional): Labels from head to tail, a
            permutation of ``range(C)``. Defaults to ``0, 1, ..., C - 1``.

    Returns:
        np.ndarray: Sorted int64 indices into ``labels``.
    """
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if labels.size == 0:
        raise ValueError('`labels` is empty')
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f'labels must lie in [0, {num_classes}), got range '
                         f'[{labels.min()}, {labels.max()}]')
    order = list(range(num_classes)) if class_order is None else [
        int(c) for c in class_order
    ]
    if sorted(order) != list(range(num_classes)):
        raise ValueError(f'`class_order` must be a permutation of '
                         f'range({num_classes}), got {class_order!r}')
    available = np.bincount(labels, minlength=num_classes)
    targets = long_tail_counts(
        int(available.max()), num_classes, imbalance_factor)
    rng = np.random.default_rng(seed)
    kept = []
    for rank, label in enumerate(order):
        members = np.flatnonzero(labels == label)
        take = min(targets[rank], members.size)
        kept.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(kept)).astype(np.int64)
