# Copyright (c) medproto contributors. All rights reserved.
"""Paired bootstrap of the difference in binary-segmentation Dice between
two models over evaluation images and seeds.

The segmentation counterpart of :mod:`.paired_bootstrap`: the same two-level
design (images drawn with replacement, the same draw for both models;
each model's seeds drawn with replacement), on per-image confusion counts
(``BinarySegMetric(counts_file=...)``). Frames of one video are correlated,
so the images can be drawn in blocks of consecutive frames (a moving-block
bootstrap, Kuensch, Ann. Statist. 1989) instead of one by one. The
resampling is the shared :func:`~.bootstrap.paired_seed_bootstrap`; this
module gives it the Dice of a model's per-image counts.
"""
import csv
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np

from .binary_seg import per_image_scores
from .bootstrap import BootstrapResult, block_draws, paired_seed_bootstrap

__all__ = ['SEG_METRICS', 'COUNTS_HEADER', 'seg_metrics', 'block_draws',
           'seg_bootstrap', 'read_counts_file']

SEG_METRICS = ('Dice', 'mDice_per_image')
#: Header of a ``BinarySegMetric(counts_file=...)`` CSV.
COUNTS_HEADER = ('img_path', 'TP', 'FP', 'FN', 'TN')


def read_counts_file(path: str) -> Tuple[List[str], np.ndarray]:
    """The per-image counts that ``BinarySegMetric(counts_file=...)``
    wrote, sorted by image path.

    Args:
        path (str): The CSV file (header ``img_path,TP,FP,FN,TN``).

    Returns:
        tuple: ``(image file names, counts)``, the names without folders,
        the counts shape (N, 4), int64.

    Raises:
        ConfigError: For a missing file, another header or a row that is not
            four integers (one line naming the file).
    """
    from medproto.utils.cli import ConfigError
    if not osp.isfile(path):
        raise ConfigError(f'counts file not found: {path}')
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    if not rows or tuple(rows[0]) != COUNTS_HEADER:
        raise ConfigError(f'{path}: not a counts file of BinarySegMetric '
                          f'(header {",".join(COUNTS_HEADER)})')
    body = sorted(rows[1:], key=lambda r: r[0])
    try:
        counts = np.asarray([[int(v) for v in r[1:]] for r in body],
                            dtype=np.int64).reshape(len(body), 4)
    except ValueError:
        raise ConfigError(f'{path}: every row must be an image path and '
                          'four integer counts') from None
    return [osp.basename(r[0]) for r in body], counts


def seg_metrics(counts: np.ndarray,
                weights: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """Dataset-level Dice and mean per-image Dice for many image weightings.

    Args:
        counts (np.ndarray): ``(TP, FP, FN, TN)`` per image, shape (N, 4).
        weights (np.ndarray, optional): How often each image counts, shape
            (R, N); None for one weighting of ones.

    Returns:
        dict[str, np.ndarray]: ``Dice`` and ``mDice_per_image``, each shape
        (R,), in percent (per-image Dice is 1 where prediction and ground
        truth are both empty, as in :class:`BinarySegMetric`).
    """
    counts = np.asarray(counts, dtype=np.float64).reshape(-1, 4)
    if weights is None:
        weights = np.ones((1, len(counts)))
    tp, fp, fn = (weights @ counts[:, i] for i in range(3))
    denom = 2 * tp + fp + fn
    dice = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    per_image = per_image_scores(counts)[0]
    mean_image = (weights @ per_image) / weights.sum(1)
    return dict(Dice=100 * dice, mDice_per_image=100 * mean_image)


def seg_bootstrap(counts_a: np.ndarray,
                  counts_b: np.ndarray,
                  num_resamples: int = 2000,
                  level: float = 0.95,
                  block: int = 1,
                  resample_seeds: bool = True,
                  rng_seed: int = 0) -> Dict[str, BootstrapResult]:
    """Paired bootstrap interval of ``metric(A) - metric(B)``.

    Args:
        counts_a (np.ndarray): A's per-image counts, one block per seed,
            shape (S_a, N, 4).
        counts_b (np.ndarray): B's, shape (S_b, N, 4), the same N images in
            the same order.
        num_resamples (int): Resamples R. Defaults to 2000.
        level (float): Coverage of the interval in (0, 1). Defaults to 0.95.
        block (int): Draw images in blocks of this many consecutive ones
            (video frames). Defaults to 1.
        resample_seeds (bool): Also draw each model's seeds with
            replacement. Defaults to True.
        rng_seed (int): Seed of the draws. Defaults to 0.

    Returns:
        dict[str, BootstrapResult]: Per metric of :func:`seg_metrics`; the
        means are over seeds on all images.
    """
    counts_a = np.asarray(counts_a, dtype=np.float64)
    counts_b = np.asarray(counts_b, dtype=np.float64)
    if counts_a.ndim != 3 or counts_b.ndim != 3 or counts_a.shape[1:] != \
            counts_b.shape[1:] or counts_a.shape[2] != 4:
        raise ValueError('seg_bootstrap: counts must be (seeds, N, 4) with '
                         f'the same N for A and B, got {counts_a.shape} and '
                         f'{counts_b.shape}')
    return paired_seed_bootstrap(
        counts_a, counts_b, seg_metrics, counts_a.shape[1],
        num_resamples=num_resamples, level=level, block=block,
        resample_seeds=resample_seeds, rng_seed=rng_seed,
        owner='seg_bootstrap')
