# Copyright (c) medproto contributors. All rights reserved.
"""Single-label classification statistics in plain numpy.

Used by :class:`~medproto.evaluation.LongTailClsMetric` and by
``tools/analysis_tools/confusion_matrix.py``.
"""
from typing import Dict, Sequence

import numpy as np
from scipy.stats import rankdata

SPLIT_BY = ('count', 'rank')
GROUP_NAMES = ('many', 'medium', 'few')


def confusion_matrix(labels: np.ndarray, preds: np.ndarray,
                     num_classes: int) -> np.ndarray:
    """Confusion matrix with ground truth in rows, prediction in columns.

    Args:
        labels (np.ndarray): Ground-truth class indices, shape (N,).
        preds (np.ndarray): Predicted class indices, shape (N,).
        num_classes (int): Number of classes C.

    Returns:
        np.ndarray: int64 matrix of shape (C, C).
    """
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    preds = np.asarray(preds, dtype=np.int64).reshape(-1)
    if labels.shape != preds.shape:
        raise ValueError(f'Got {labels.size} labels but {preds.size} '
                         'predictions.')
    for name, values in (('gt_label', labels), ('pred_label', preds)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f'`{name}` values must lie in [0, {num_classes})'
                             f', got [{values.min()}, {values.max()}].')
    flat = np.bincount(labels * num_classes + preds,
                       minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def one_vs_rest_auc(is_positive: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve of one class against the rest.

    Computed as the Mann-Whitney statistic with average ranks for ties.

    Args:
        is_positive (np.ndarray): Bool array (N,), True for the class.
        scores (np.ndarray): The class's scores (N,).

    Returns:
        float: AUC in [0, 1]. Requires at least one positive and one
        negative sample.
    """
    is_positive = np.asarray(is_positive, dtype=bool)
    num_pos = int(is_positive.sum())
    num_neg = is_positive.size - num_pos
    if num_pos == 0 or num_neg == 0:
        raise ValueError('AUC needs at least one positive and one negative '
                         f'sample, got {num_pos} and {num_neg}.')
    ranks = rankdata(scores)
    rank_sum = float(ranks[is_positive].sum())
    return (rank_sum - num_pos * (num_pos + 1) / 2) / (num_pos * num_neg)


def split_classes(class_counts: Sequence[int],
                  split_by: str = 'count',
                  many_threshold: int = 100,
                  few_threshold: int = 20) -> Dict[str, np.ndarray]:
    """Split classes into many-, medium- and few-shot groups.

    Args:
        class_counts (Sequence[int]): Training images per class.
        split_by (str): ``'count'``: many-shot classes have more than
            ``many_threshold`` training images, few-shot classes fewer than
            ``few_threshold``, the rest are medium-shot (the ImageNet-LT /
            Places-LT convention). ``'rank'``: the classes sorted by count
            (descending, ties by index) are cut into thirds, so every group
            is non-empty once there are at least three classes.
        many_threshold (int): See ``split_by='count'``.
        few_threshold (int): See ``split_by='count'``.

    Returns:
        dict[str, np.ndarray]: ``{'many'|'medium'|'few': class indices}``.
    """
    if split_by not in SPLIT_BY:
        raise ValueError(f'`split_by` must be one of {SPLIT_BY}, got '
                         f'{split_by!r}.')
    counts = np.asarray(class_counts, dtype=np.int64)
    indices = np.arange(counts.size)
    if split_by == 'rank':
        order = np.argsort(-counts, kind='stable')
        return dict(zip(GROUP_NAMES, np.array_split(order, 3)))
    many = counts > many_threshold
    few = counts < few_threshold
    return dict(many=indices[many],
                medium=indices[~many & ~few],
                few=indices[few])
