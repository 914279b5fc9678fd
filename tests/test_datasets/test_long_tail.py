# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest

from medproto.datasets import long_tail_counts, make_long_tail_indices


def test_counts_follow_the_exponential_profile():
    counts = long_tail_counts(850, 8, 100)
    assert counts[0] == 850 and counts[-1] == 8
    for i, n in enumerate(counts):
        assert n == int(850 * 0.01**(i / 7))
    assert counts == sorted(counts, reverse=True)
    # published training-set sizes of CIFAR-100-LT and CIFAR-10-LT
    assert sum(long_tail_counts(500, 100, 100)) == 10847
    assert sum(long_tail_counts(500, 100, 10)) == 19573
    assert sum(long_tail_counts(5000, 10, 100)) == 12406


def test_counts_edge_cases():
    assert long_tail_counts(10, 3, 1) == [10, 10, 10]
    assert long_tail_counts(7, 1, 50) == [7]
    assert long_tail_counts(5, 3, 1000)[-1] == 1  # never an empty class
    for kwargs in (dict(num_max=0), dict(num_classes=0),
                   dict(imbalance_factor=0.5)):
        args = dict(num_max=10, num_classes=3, imbalance_factor=10)
        args.update(kwargs)
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            long_tail_counts(**args)


def test_indices_keep_the_profile_from_a_balanced_pool():
    labels = np.repeat(np.arange(4), 100)
    rng = np.random.default_rng(0)
    labels = labels[rng.permutation(labels.size)]
    indices = make_long_tail_indices(labels, 10, seed=3)
    assert np.all(np.diff(indices) > 0)
    kept = np.bincount(labels[indices], minlength=4)
    assert kept.tolist() == long_tail_counts(100, 4, 10) == [100, 46, 21, 10]
    assert np.array_equal(indices, make_long_tail_indices(labels, 10, seed=3))
    assert not np.array_equal(indices,
                              make_long_tail_indices(labels, 10, seed=4))


def test_head_is_the_largest_class_and_order_is_configurable():
    labels = np.array([0] * 30 + [1] * 50 + [2] * 40)
    kept = np.bincount(labels[make_long_tail_indices(labels, 5)])
    assert kept.tolist() == [30, 22, 10]  # head keeps n_max = 50 -> 30 avail
    reordered = make_long_tail_indices(labels, 5, class_order=[1, 2, 0])
    assert np.bincount(labels[reordered]).tolist() == [10, 50, 22]


def test_indices_reject_bad_labels_and_orders():
    with pytest.raises(ValueError, match='labels must lie'):
        make_long_tail_indices([0, 3], 10, num_classes=3)
    with pytest.raises(ValueError, match='class_order'):
        make_long_tail_indices([0, 1, 2], 10, class_order=[0, 0, 1])
    with pytest.raises(ValueError, match='empty'):
        make_long_tail_indices([], 10)
