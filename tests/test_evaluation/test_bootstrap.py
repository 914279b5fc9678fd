# Copyright (c) medproto contributors. All rights reserved.
"""The shared two-level paired bootstrap against a direct computation with
the draws made by hand from the same generator, in the order both callers
have always used (images, A's seeds, B's seeds): a fixed ``rng_seed`` gives
the numbers :func:`paired_bootstrap` and :func:`seg_bootstrap` gave before
they shared the routine."""
import numpy as np
import pytest

from medproto.evaluation.functional import (BootstrapResult,
                                            format_bootstrap_table,
                                            paired_bootstrap,
                                            paired_seed_bootstrap,
                                            seg_bootstrap, split_classes)

N = 24


def _dice(counts):
    """Dataset Dice and mean per-image Dice (1 for an empty image) of the
    rows ``counts`` (M, 4), in percent, by plain sums."""
    tp, fp, fn = counts[:, 0].sum(), counts[:, 1].sum(), counts[:, 2].sum()
    per = [1.0 if 2 * c[0] + c[1] + c[2] == 0 else
           2 * c[0] / (2 * c[0] + c[1] + c[2]) for c in counts]
    return dict(Dice=100 * 2 * tp / (2 * tp + fp + fn),
                mDice_per_image=100 * np.mean(per))


def _hand_draws(rng_seed, resamples, block, seeds_a, seeds_b):
    """Image indices in circular blocks, then A's and B's seed indices."""
    rng = np.random.default_rng(rng_seed)
    starts = rng.integers(0, N, (resamples, -(-N // block)))
    images = [[(s + k) % N for s in row for k in range(block)][:N]
              for row in starts]
    return (np.array(images), rng.integers(0, seeds_a, (resamples, seeds_a)),
            rng.integers(0, seeds_b, (resamples, seeds_b)))


@pytest.fixture
def counts():
    rng = np.random.default_rng(4)

    def run(shift):
        tp = rng.integers(0, 300, N) + shift
        fp, fn = rng.integers(0, 80, N), rng.integers(0, 80, N)
        return np.stack([tp, fp, fn, 5000 - tp - fp - fn], 1)
    counts_a = np.stack([run(40) for _ in range(3)])
    counts_a[1, 5, :3] = 0  # empty prediction and ground truth
    return counts_a, np.stack([run(0) for _ in range(2)])


@pytest.mark.parametrize('block', [1, 5])
def test_seg_bootstrap_is_the_hand_drawn_resampling(counts, block):
    counts_a, counts_b = counts
    resamples, level = 60, 0.9
    res = seg_bootstrap(counts_a, counts_b, num_resamples=resamples,
                        level=level, block=block, rng_seed=11)
    images, seeds_a, seeds_b = _hand_draws(11, resamples, block, 3, 2)
    for key in ('Dice', 'mDice_per_image'):
        direct = [np.mean([_dice(counts_a[s][images[r]])[key]
                           for s in seeds_a[r]]) -
                  np.mean([_dice(counts_b[s][images[r]])[key]
                           for s in seeds_b[r]]) for r in range(resamples)]
        np.testing.assert_allclose(res[key].samples, direct, rtol=1e-12)
        low, high = np.percentile(direct, [5, 95])
        assert res[key].low == pytest.approx(low, rel=1e-12)
        assert res[key].high == pytest.approx(high, rel=1e-12)
        mean_a = np.mean([_dice(c)[key] for c in counts_a])
        mean_b = np.mean([_dice(c)[key] for c in counts_b])
        assert res[key].mean_a == pytest.approx(mean_a, rel=1e-12)
        assert res[key].diff == pytest.approx(mean_a - mean_b, rel=1e-12)


def test_paired_bootstrap_draws_like_the_shared_routine():
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 3, N)
    preds_a = np.where(rng.random((3, N)) < 0.8, labels,
                       rng.integers(0, 3, (3, N)))
    preds_b = np.where(rng.random((2, N)) < 0.5, labels,
                       rng.integers(0, 3, (2, N)))
    groups = split_classes([40, 10, 3])
    res = paired_bootstrap(labels, preds_a, preds_b, 3, groups,
                           num_resamples=50, rng_seed=2)
    images, seeds_a, seeds_b = _hand_draws(2, 50, 1, 3, 2)

    def top1(preds, r):
        return 100 * np.mean(preds[images[r]] == labels[images[r]])
    direct = [np.mean([top1(preds_a[s], r) for s in seeds_a[r]]) -
              np.mean([top1(preds_b[s], r) for s in seeds_b[r]])
              for r in range(50)]
    np.testing.assert_allclose(res['top1'].samples, direct, rtol=1e-12)


def test_shared_routine_pairs_seeds_and_validates():
    # A metric that reports which seed it saw: with paired seeds A and B
    # average the same seeds, so equal runs give a difference of 0.
    def metric(run, weights):
        w = np.ones((1, N)) if weights is None else weights
        return dict(value=(w @ np.full(N, float(run))) / w.sum(1))
    runs = [1.0, 5.0, 9.0]
    res = paired_seed_bootstrap(runs, runs, metric, N, num_resamples=40,
                                pair_seeds=True, rng_seed=3)
    assert isinstance(res['value'], BootstrapResult)
    np.testing.assert_array_equal(res['value'].samples, 0)
    assert res['value'].mean_a == pytest.approx(5.0)
    unpaired = paired_seed_bootstrap(runs, runs, metric, N,
                                     num_resamples=40, rng_seed=3)
    assert np.abs(unpaired['value'].samples).max() > 0
    with pytest.raises(ValueError, match='^own: level'):
        paired_seed_bootstrap(runs, runs, metric, N, level=1.5, owner='own')
    with pytest.raises(ValueError, match='pair_seeds needs as many'):
        paired_seed_bootstrap(runs, runs[:2], metric, N, pair_seeds=True)
    with pytest.raises(ValueError, match='at least one run'):
        paired_seed_bootstrap(runs, [], metric, N)


def test_table_names_the_winner_and_the_interval():
    results = dict(
        Dice=BootstrapResult('Dice', 80.0, 75.5, 4.5, 1.25, 7.75,
                             np.zeros(1)),
        top1=BootstrapResult('top1', 60.0, 61.0, -1.0, -3.0, 1.0,
                             np.zeros(1)))
    lines = format_bootstrap_table(results, ['KD', 'alone'], 0.9).split('\n')
    assert lines[0].split() == ['metric', 'KD', 'alone', 'A', '-', 'B',
                                '90%', 'interval', 'verdict']
    assert set(lines[1]) == {'-'} and len(lines[1]) == len(lines[0])
    assert lines[2].split() == ['Dice', '80.00', '75.50', '+4.50', '[+1.25,',
                                '+7.75]', 'KD', 'ahead']
    assert lines[3].split()[-1] == 'tie'
