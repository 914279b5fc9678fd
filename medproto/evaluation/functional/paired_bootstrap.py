# Copyright (c) medproto contributors. All rights reserved.
"""Paired bootstrap of the difference between two classifiers' recall
metrics over evaluation images and seeds.

Both models are evaluated on the same images. Every resample draws the
images with replacement -- the same draw for both models (paired) -- and,
optionally, the seeds of each model with replacement (a two-level bootstrap:
run-to-run and image-to-image variation). The metric of a resample is the
mean over its drawn seeds of the metric on its drawn images; the interval is
the percentile interval of the differences A - B (Efron & Tibshirani, "An
Introduction to the Bootstrap", 1993, ch. 13). The resampling is the shared
:func:`~.bootstrap.paired_seed_bootstrap`; this module gives it the recall
metrics of a classifier's predicted labels.
"""
from typing import Dict, Optional

import numpy as np

from .bootstrap import BootstrapResult, paired_seed_bootstrap

__all__ = ['RECALL_METRICS', 'BootstrapResult', 'recall_metrics',
           'paired_bootstrap']

RECALL_METRICS = ('top1', 'mean_recall', 'many_recall', 'medium_recall',
                  'few_recall')


def recall_metrics(labels: np.ndarray,
                   preds: np.ndarray,
                   num_classes: int,
                   groups: Dict[str, np.ndarray],
                   weights: Optional[np.ndarray] = None
                   ) -> Dict[str, np.ndarray]:
    """Top-1, mean per-class recall and group recalls, for many image
    weightings at once.

    Per-class recall counts only the classes present (weight > 0), as
    :class:`~medproto.evaluation.metrics.LongTailClsMetric` does; a group
    with no present class gets NaN.

    Args:
        labels (np.ndarray): Ground truth, shape (N,).
        preds (np.ndarray): Predicted labels, shape (N,).
        num_classes (int): C.
        groups (dict[str, np.ndarray]): ``many`` / ``medium`` / ``few``
            class indices (:func:`split_classes`); may be empty.
        weights (np.ndarray, optional): How often each image counts, shape
            (R, N) (bootstrap counts); None for one weighting of ones.

    Returns:
        dict[str, np.ndarray]: ``top1``, ``mean_recall`` and
        ``<group>_recall``, each shape (R,), in percent.
    """
    labels = np.asarray(labels, dtype=np.int64)
    preds = np.asarray(preds, dtype=np.int64)
    if weights is None:
        weights = np.ones((1, labels.size))
    weights = np.asarray(weights, dtype=np.float64)
    onehot = np.eye(num_classes)[labels]                      # (N, C)
    support = weights @ onehot                                # (R, C)
    hits = weights @ (onehot * (preds == labels)[:, None])    # (R, C)
    present = support > 0
    recall = np.where(present, hits / np.where(present, support, 1), np.nan)
    out = dict(top1=hits.sum(1) / support.sum(1),
               mean_recall=_nanmean_rows(recall))
    for group, members in groups.items():
        members = np.asarray(members, dtype=np.int64)
        if members.size:
            out[f'{group}_recall'] = _nanmean_rows(recall[:, members])
    return {key: 100 * value for key, value in out.items()}


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Row means over the non-NaN entries (NaN for an all-NaN row)."""
    valid = ~np.isnan(values)
    count = valid.sum(1)
    total = np.where(valid, values, 0).sum(1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def paired_bootstrap(labels: np.ndarray,
                     preds_a: np.ndarray,
                     preds_b: np.ndarray,
                     num_classes: int,
                     groups: Dict[str, np.ndarray],
                     num_resamples: int = 2000,
                     level: float = 0.95,
                     resample_seeds: bool = True,
                     pair_seeds: bool = False,
                     rng_seed: int = 0,
                     image_draws: Optional[np.ndarray] = None,
                     seed_draws_a: Optional[np.ndarray] = None,
                     seed_draws_b: Optional[np.ndarray] = None
                     ) -> Dict[str, BootstrapResult]:
    """Paired bootstrap interval of ``metric(A) - metric(B)``.

    Args:
        labels (np.ndarray): Ground truth of the N images, shape (N,).
        preds_a (np.ndarray): A's predicted labels, one row per seed,
            shape (S_a, N).
        preds_b (np.ndarray): B's, shape (S_b, N).
        num_classes (int): C.
        groups (dict[str, np.ndarray]): Many / medium / few classes.
        num_resamples (int): Resamples R. Defaults to 2000.
        level (float): Coverage of the interval in (0, 1). Defaults to 0.95.
        resample_seeds (bool): Also draw each model's seeds with
            replacement (else every resample averages all seeds). Defaults
            to True.
        pair_seeds (bool): Draw the same seed positions for A and B (the
            two share their seed list, so the same seed means the same data
            order). Needs ``S_a == S_b``. Defaults to False.
        rng_seed (int): Seed of the draws. Defaults to 0.
        image_draws (np.ndarray, optional): Explicit image indices, shape
            (R, N), instead of random ones (tests).
        seed_draws_a (np.ndarray, optional): Explicit seed indices of A,
            shape (R, S_a).
        seed_draws_b (np.ndarray, optional): Of B, shape (R, S_b).

    Returns:
        dict[str, BootstrapResult]: Per metric of :func:`recall_metrics`.
    """
    labels = np.asarray(labels, dtype=np.int64)
    preds_a, preds_b = np.atleast_2d(preds_a), np.atleast_2d(preds_b)
    num = labels.size
    if preds_a.shape[1] != num or preds_b.shape[1] != num:
        raise ValueError(f'paired_bootstrap: predictions must cover the same '
                         f'{num} images, got {preds_a.shape[1]} (A) and '
                         f'{preds_b.shape[1]} (B)')

    def metric(preds: np.ndarray,
               weights: Optional[np.ndarray]) -> Dict[str, np.ndarray]:
        return recall_metrics(labels, preds, num_classes, groups, weights)

    return paired_seed_bootstrap(
        preds_a, preds_b, metric, num, num_resamples=num_resamples,
        level=level, resample_seeds=resample_seeds, pair_seeds=pair_seeds,
        rng_seed=rng_seed, image_draws=image_draws,
        seed_draws_a=seed_draws_a, seed_draws_b=seed_draws_b,
        owner='paired_bootstrap')
