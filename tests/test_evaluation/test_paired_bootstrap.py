# Copyright (c) medproto contributors. All rights reserved.
"""The paired bootstrap against the metrics computed directly on the
resampled images, one resample at a time."""
import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, recall_score

from medproto.evaluation.functional import (paired_bootstrap,
                                            recall_metrics, split_classes)

COUNTS = [150, 60, 30, 12, 5, 2]
GROUPS = split_classes(COUNTS)  # many: 0; medium: 1, 2; few: 3, 4, 5
C = len(COUNTS)


def _direct(labels, preds):
    """Top-1, balanced accuracy and group recalls with sklearn / loops."""
    present = np.unique(labels)
    recall = dict(zip(present, recall_score(labels, preds, labels=present,
                                            average=None)))
    out = dict(top1=100 * np.mean(labels == preds),
               mean_recall=100 * balanced_accuracy_score(labels, preds))
    for group, members in GROUPS.items():
        values = [recall[c] for c in members if c in recall]
        out[f'{group}_recall'] = 100 * np.mean(values) if values else np.nan
    return out


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(C), 10)
    rng.shuffle(labels)

    def noisy(accuracy, count):
        preds = np.tile(labels, (count, 1))
        flip = rng.random(preds.shape) > accuracy
        preds[flip] = rng.integers(0, C, flip.sum())
        return preds
    return labels, noisy(0.8, 3), noisy(0.6, 2)


def test_recall_metrics_match_sklearn(data):
    labels, preds_a, _ = data
    got = recall_metrics(labels, preds_a[0], C, GROUPS)
    for key, value in _direct(labels, preds_a[0]).items():
        assert got[key][0] == pytest.approx(value), key
    # Bootstrap weights are the same as indexing the drawn images.
    idx = np.random.default_rng(0).integers(0, labels.size, (4, labels.size))
    weights = np.stack([np.bincount(row, minlength=labels.size)
                        for row in idx])
    got = recall_metrics(labels, preds_a[0], C, GROUPS, weights)
    for r in range(4):
        want = _direct(labels[idx[r]], preds_a[0][idx[r]])
        for key, value in want.items():
            np.testing.assert_allclose(got[key][r], value, err_msg=key)


def test_resampled_differences_and_interval_are_direct(data):
    labels, preds_a, preds_b = data
    rng = np.random.default_rng(1)
    resamples = 80
    idx = rng.integers(0, labels.size, (resamples, labels.size))
    seeds_a = rng.integers(0, 3, (resamples, 3))
    seeds_b = rng.integers(0, 2, (resamples, 2))
    results = paired_bootstrap(labels, preds_a, preds_b, C, GROUPS,
                               image_draws=idx, seed_draws_a=seeds_a,
                               seed_draws_b=seeds_b)
    # Every model run on every resample's images, computed directly.
    on_a = [[_direct(labels[i], p[i]) for p in preds_a] for i in idx]
    on_b = [[_direct(labels[i], p[i]) for p in preds_b] for i in idx]
    for key in ('top1', 'mean_recall', 'many_recall', 'few_recall'):
        direct = [np.mean([on_a[r][s][key] for s in seeds_a[r]]) -
                  np.mean([on_b[r][s][key] for s in seeds_b[r]])
                  for r in range(resamples)]
        np.testing.assert_allclose(results[key].samples, direct, atol=1e-9)
        low, high = np.percentile(direct, [2.5, 97.5])
        assert results[key].low == pytest.approx(low)
        assert results[key].high == pytest.approx(high)
        mean_a = np.mean([_direct(labels, p)[key] for p in preds_a])
        mean_b = np.mean([_direct(labels, p)[key] for p in preds_b])
        assert results[key].mean_a == pytest.approx(mean_a)
        assert results[key].diff == pytest.approx(mean_a - mean_b)


def test_verdicts(data):
    labels, preds_a, preds_b = data
    same = paired_bootstrap(labels, preds_a, preds_a, C, GROUPS,
                            num_resamples=200, pair_seeds=True)
    assert all(r.diff == 0 and r.low == 0 and r.high == 0 and
               r.verdict == 'tie' for r in same.values())
    better = paired_bootstrap(labels, labels[None], preds_b, C, GROUPS,
                              num_resamples=500)
    assert better['top1'].verdict == 'A ahead' and better['top1'].low > 0
    worse = paired_bootstrap(labels, preds_b, labels[None], C, GROUPS,
                             num_resamples=500)
    assert worse['mean_recall'].verdict == 'B ahead'


def test_fixed_seeds_average_every_seed(data):
    labels, preds_a, preds_b = data
    res = paired_bootstrap(labels, preds_a, preds_b, C, GROUPS,
                           num_resamples=100, resample_seeds=False,
                           image_draws=np.tile(np.arange(labels.size),
                                               (100, 1)))
    # The identity resample with every seed is the point estimate.
    np.testing.assert_allclose(res['top1'].samples, res['top1'].diff)


def test_bad_input(data):
    labels, preds_a, preds_b = data
    with pytest.raises(ValueError, match='same 60 images'):
        paired_bootstrap(labels, preds_a[:, :5], preds_b, C, GROUPS)
    with pytest.raises(ValueError, match='pair_seeds'):
        paired_bootstrap(labels, preds_a, preds_b, C, GROUPS,
                         pair_seeds=True)
    with pytest.raises(ValueError, match='level'):
        paired_bootstrap(labels, preds_a, preds_b, C, GROUPS, level=95)
