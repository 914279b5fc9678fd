# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest

from medproto.evaluation.functional import (block_draws, seg_bootstrap,
                                            seg_metrics)


def random_counts(rng, num=30, shift=0):
    tp = rng.integers(0, 500, num) + shift
    fp = rng.integers(0, 200, num)
    fn = rng.integers(0, 200, num)
    return np.stack([tp, fp, fn, 10000 - tp - fp - fn], axis=1)


def test_metrics_match_a_direct_computation_with_weights():
    rng = np.random.default_rng(0)
    counts = random_counts(rng, 5)
    counts[2, :3] = 0  # empty prediction and ground truth: Dice 1
    w = np.array([[1, 0, 2, 1, 1]])
    out = seg_metrics(counts, w)
    idx = [0, 2, 2, 3, 4]
    tp, fp, fn = (counts[idx, i].sum() for i in range(3))
    assert out['Dice'][0] == pytest.approx(100 * 2 * tp / (2 * tp + fp + fn))
    per = [1.0 if counts[i, :3].sum() == 0 else
           2 * counts[i, 0] / (2 * counts[i, 0] + counts[i, 1] + counts[i, 2])
           for i in idx]
    assert out['mDice_per_image'][0] == pytest.approx(100 * np.mean(per))


def test_block_draws_are_runs_of_consecutive_images():
    draws = block_draws(np.random.default_rng(1), 4, 10, 3)
    assert draws.shape == (4, 10)
    for row in draws:
        for start in range(0, 9, 3):
            block = row[start:start + 3]
            assert all((b - block[0]) % 10 == k for k, b in enumerate(block))
    with pytest.raises(ValueError, match='block'):
        block_draws(np.random.default_rng(1), 4, 10, 0)


def test_interval_is_ahead_for_a_clearly_better_model_and_tie_for_itself():
    rng = np.random.default_rng(2)
    base = np.stack([random_counts(rng) for _ in range(3)])
    better = base.copy()
    better[:, :, 0] += 150  # more true positives,
    better[:, :, 3] -= 150  # fewer true negatives
    res = seg_bootstrap(better, base, num_resamples=500)
    assert res['Dice'].verdict == 'A ahead'
    assert res['Dice'].diff == pytest.approx(
        np.mean([seg_metrics(c)['Dice'][0] for c in better]) -
        np.mean([seg_metrics(c)['Dice'][0] for c in base]))
    same = seg_bootstrap(base, base, num_resamples=500, resample_seeds=False)
    assert same['Dice'].low == same['Dice'].high == 0
    with pytest.raises(ValueError, match='same N'):
        seg_bootstrap(base, base[:, :5], num_resamples=100)
