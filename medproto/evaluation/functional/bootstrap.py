# Copyright (c) medproto contributors. All rights reserved.
"""The two-level paired bootstrap shared by the classification and the
segmentation comparisons, and its result table.

Two models A and B are evaluated on the same N images, each over one or
more training seeds. Every resample draws the images with replacement -- the
same draw for both models (paired) -- optionally in blocks of consecutive
images (a moving-block bootstrap for correlated video frames, Kuensch, Ann.
Statist. 1989), and, optionally, each model's seeds with replacement
(run-to-run variation on top of image-to-image variation). The metric of a
resample is the mean over its drawn seeds of the metric on its drawn images;
the interval is the percentile interval of the differences A - B (Efron &
Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13).

What is measured is a metric function ``metric(run, weights)`` of one seed's
run (its predictions, or its per-image counts) and an image weighting
``weights`` of shape (R, N) (how often each image was drawn; None for one
weighting of ones), returning ``{name: values of shape (R,)}``:
:func:`~.paired_bootstrap.recall_metrics` for classifiers,
:func:`~.seg_bootstrap.seg_metrics` for segmentation.
"""
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np

__all__ = ['BootstrapResult', 'MetricFn', 'block_draws', 'seed_mean',
           'paired_seed_bootstrap', 'format_bootstrap_table']

#: ``metric(run, weights) -> {name: (R,) array}``, weights (R, N) or None.
MetricFn = Callable[[Any, Optional[np.ndarray]], Dict[str, np.ndarray]]


@dataclass
class BootstrapResult:
    """One metric of a paired bootstrap (percentages).

    Args:
        metric (str): Metric name.
        mean_a (float): Mean over A's seeds on all images.
        mean_b (float): Mean over B's seeds on all images.
        diff (float): ``mean_a - mean_b``.
        low (float): Lower end of the interval of the difference.
        high (float): Upper end.
        samples (np.ndarray): The resampled differences, shape (B,) (NaN
            where a resample had no image of the metric's classes).
    """
    metric: str
    mean_a: float
    mean_b: float
    diff: float
    low: float
    high: float
    samples: np.ndarray

    @property
    def verdict(self) -> str:
        """``'A ahead'`` / ``'B ahead'`` when the interval excludes 0,
        else ``'tie'``."""
        if self.low > 0:
            return 'A ahead'
        if self.high < 0:
            return 'B ahead'
        return 'tie'


def block_draws(rng: np.random.Generator, resamples: int, num: int,
                block: int) -> np.ndarray:
    """Image indices (R, N) drawn in blocks of ``block`` consecutive
    images (circular), ``ceil(N / block)`` blocks per resample, cut to N;
    ``block=1`` is the ordinary bootstrap (the same draws as
    ``rng.integers(0, num, (resamples, num))``)."""
    if block < 1:
        raise ValueError(f'block must be >= 1, got {block!r}')
    num_blocks = -(-num // block)
    starts = rng.integers(0, num, size=(resamples, num_blocks))
    index = (starts[:, :, None] + np.arange(block)) % num
    return index.reshape(resamples, -1)[:, :num]


def seed_mean(metric: MetricFn, runs: Sequence[Any],
              weights: Optional[np.ndarray],
              seed_counts: np.ndarray) -> Dict[str, np.ndarray]:
    """Per resample, the mean over the drawn seeds of each metric on the
    drawn images.

    Args:
        metric (MetricFn): ``metric(run, weights)``.
        runs (Sequence): One model's S runs (one per seed).
        weights (np.ndarray, optional): Image weights, shape (R, N); None
            for all images once.
        seed_counts (np.ndarray): How often each seed was drawn, shape
            (R, S) (ones for every seed once).

    Returns:
        dict[str, np.ndarray]: Each metric, shape (R,).
    """
    per_seed = [metric(run, weights) for run in runs]
    share = seed_counts / seed_counts.sum(1, keepdims=True)
    return {key: sum(share[:, s] * per_seed[s][key]
                     for s in range(len(runs)))
            for key in per_seed[0]}


def paired_seed_bootstrap(runs_a: Sequence[Any],
                          runs_b: Sequence[Any],
                          metric: MetricFn,
                          num_images: int,
                          num_resamples: int = 2000,
                          level: float = 0.95,
                          block: int = 1,
                          resample_seeds: bool = True,
                          pair_seeds: bool = False,
                          rng_seed: int = 0,
                          image_draws: Optional[np.ndarray] = None,
                          seed_draws_a: Optional[np.ndarray] = None,
                          seed_draws_b: Optional[np.ndarray] = None,
                          owner: str = 'paired_seed_bootstrap'
                          ) -> Dict[str, BootstrapResult]:
    """Paired bootstrap interval of ``metric(A) - metric(B)``.

    The draws come from one generator in this order: images, A's seeds,
    B's seeds.

    Args:
        runs_a (Sequence): A's runs, one per seed (S_a), each on the same
            ``num_images`` images as B's.
        runs_b (Sequence): B's runs (S_b).
        metric (MetricFn): ``metric(run, weights) -> {name: (R,) array}``.
        num_images (int): N.
        num_resamples (int): Resamples R. Defaults to 2000.
        level (float): Coverage of the interval in (0, 1). Defaults to 0.95.
        block (int): Draw images in blocks of this many consecutive ones
            (:func:`block_draws`). Defaults to 1.
        resample_seeds (bool): Also draw each model's seeds with
            replacement (else every resample averages all seeds). Defaults
            to True.
        pair_seeds (bool): Draw the same seed positions for A and B (the
            same seed means the same data order). Needs ``S_a == S_b``.
            Defaults to False.
        rng_seed (int): Seed of the draws. Defaults to 0.
        image_draws (np.ndarray, optional): Explicit image indices, shape
            (R, N), instead of random ones (tests).
        seed_draws_a (np.ndarray, optional): Explicit seed indices of A,
            shape (R, S_a).
        seed_draws_b (np.ndarray, optional): Of B, shape (R, S_b).
        owner (str): The caller's name, first word of every error.

    Returns:
        dict[str, BootstrapResult]: Per metric that ``metric`` returns; the
        means are over the seeds on all images.
    """
    if not 0 < level < 1:
        raise ValueError(f'{owner}: level must be in (0, 1), got {level!r}')
    if not len(runs_a) or not len(runs_b):
        raise ValueError(f'{owner}: each model needs at least one run, got '
                         f'{len(runs_a)} (A) and {len(runs_b)} (B)')
    if pair_seeds and len(runs_a) != len(runs_b):
        raise ValueError(f'{owner}: pair_seeds needs as many seeds for A '
                         f'({len(runs_a)}) as for B ({len(runs_b)})')
    rng = np.random.default_rng(rng_seed)
    if image_draws is None:
        image_draws = block_draws(rng, num_resamples, num_images, block)
    resamples = image_draws.shape[0]
    weights = _counts(image_draws, num_images)
    if seed_draws_a is None:
        seed_draws_a = _draw_seeds(rng, resamples, len(runs_a),
                                   resample_seeds)
    if seed_draws_b is None:
        seed_draws_b = seed_draws_a if pair_seeds else _draw_seeds(
            rng, resamples, len(runs_b), resample_seeds)
    boot_a = seed_mean(metric, runs_a, weights,
                       _counts(seed_draws_a, len(runs_a)))
    boot_b = seed_mean(metric, runs_b, weights,
                       _counts(seed_draws_b, len(runs_b)))
    full_a = seed_mean(metric, runs_a, None, np.ones((1, len(runs_a))))
    full_b = seed_mean(metric, runs_b, None, np.ones((1, len(runs_b))))
    tail = 100 * (1 - level) / 2
    results = {}
    for key in boot_a:
        samples = boot_a[key] - boot_b[key]
        low, high = (np.nanpercentile(samples, [tail, 100 - tail])
                     if not np.isnan(samples).all() else (np.nan, np.nan))
        results[key] = BootstrapResult(
            key, float(full_a[key][0]), float(full_b[key][0]),
            float(full_a[key][0] - full_b[key][0]), float(low), float(high),
            samples)
    return results


def _counts(draws: np.ndarray, size: int) -> np.ndarray:
    """Index draws (R, k) -> how often each index was drawn, (R, size)."""
    counts = np.zeros((draws.shape[0], size))
    np.add.at(counts, (np.arange(draws.shape[0])[:, None], draws), 1)
    return counts


def _draw_seeds(rng: np.random.Generator, resamples: int, num_seeds: int,
                resample: bool) -> np.ndarray:
    """Seed indices (R, S): drawn with replacement, or all seeds."""
    if resample:
        return rng.integers(0, num_seeds, size=(resamples, num_seeds))
    return np.tile(np.arange(num_seeds), (resamples, 1))


def format_bootstrap_table(results: Dict[str, BootstrapResult],
                           names: Sequence[str], level: float) -> str:
    """One line per metric: means, difference, interval, verdict.

    Args:
        results (dict[str, BootstrapResult]): A paired bootstrap's results.
        names (Sequence[str]): The names of A and B (cut to 16 characters
            in the header).
        level (float): The interval's coverage, for the header.

    Returns:
        str: The table, lines joined by newlines.
    """
    a, b = names
    pct = f'{100 * level:g}% interval'
    head = f'{"metric":<14}{a[:16]:>17}{b[:16]:>17}{"A - B":>9}  {pct:<18}' \
           f'verdict'
    lines = [head, '-' * len(head)]
    for key, res in results.items():
        verdict = res.verdict.replace('A ahead', f'{a} ahead').replace(
            'B ahead', f'{b} ahead')
        lines.append(f'{key:<14}{res.mean_a:>17.2f}{res.mean_b:>17.2f}'
                     f'{res.diff:>+9.2f}  [{res.low:+.2f}, {res.high:+.2f}]'
                     f'{"":<2}{verdict}')
    return '\n'.join(lines)
