# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest

from medproto.datasets import ImageFolderLT
from medproto.datasets.samplers import ClassBalancedSampler
from medproto.datasets.samplers import class_balanced_sampler as module

COUNTS = (800, 150, 50)


class LabelledDataset:
    """Minimal dataset exposing labels like mmpretrain datasets."""

    def __init__(self, counts=COUNTS):
        self.labels = np.repeat(np.arange(len(counts)), counts)

    def __len__(self):
        return len(self.labels)

    def get_gt_labels(self):
        return self.labels


def _class_frequencies(sampler, dataset):
    drawn = dataset.labels[list(sampler)]
    return np.bincount(drawn, minlength=len(COUNTS)) / len(drawn)


@pytest.mark.parametrize('q', [1.0, 0.5, 0.0])
def test_class_frequencies_follow_n_power_one_minus_q(q):
    dataset = LabelledDataset()
    sampler = ClassBalancedSampler(dataset, q=q, num_samples=20000, seed=0)
    expected = np.array(COUNTS, float)**(1 - q)
    expected /= expected.sum()
    observed = _class_frequencies(sampler, dataset)
    # 20000 draws: the binomial std of each frequency is below 0.0036
    np.testing.assert_allclose(observed, expected, atol=0.015)


def test_class_balanced_differs_from_uniform():
    dataset = LabelledDataset()
    balanced = _class_frequencies(
        ClassBalancedSampler(dataset, q=1.0, seed=0), dataset)
    assert balanced[2] > 0.25  # the tail class is 5% of the data


def test_default_length_seeding_and_epochs():
    dataset = LabelledDataset()
    sampler = ClassBalancedSampler(dataset, seed=3)
    first = list(sampler)
    assert len(first) == len(sampler) == len(dataset)
    assert list(ClassBalancedSampler(dataset, seed=3)) == first
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first
    sampler.set_epoch(0)
    assert list(sampler) == first


@pytest.mark.parametrize('round_up, total', [(True, 1001), (False, 1001)])
def test_ranks_share_one_draw(monkeypatch, round_up, total):
    dataset = LabelledDataset()
    monkeypatch.setattr(module, 'get_dist_info', lambda: (0, 1))
    full = list(ClassBalancedSampler(dataset, num_samples=total, seed=5,
                                     round_up=round_up))
    shares = []
    for rank in range(2):
        monkeypatch.setattr(module, 'get_dist_info', lambda r=rank: (r, 2))
        sampler = ClassBalancedSampler(dataset, num_samples=total, seed=5,
                                       round_up=round_up)
        shares.append(list(sampler))
        assert len(shares[-1]) == len(sampler)
    if round_up:
        assert len(shares[0]) == len(shares[1]) == 501
    else:
        assert (len(shares[0]), len(shares[1])) == (501, 500)
    # interleaving the ranks' shares gives back the single-process draw
    # (the round-up pad is the one extra draw of the two-rank sampler)
    merged = [i for pair in zip(*shares) for i in pair]
    assert merged[:1000] == full[:1000]


def test_reads_labels_of_a_real_dataset(sample_data):
    dataset = ImageFolderLT(
        data_root=str(sample_data / 'pbc_blood_cells'), imbalance_factor=3)
    sampler = ClassBalancedSampler(dataset, q=1.0, num_samples=3000, seed=0)
    assert sampler.class_counts.tolist() == dataset.metainfo['class_counts']
    drawn = dataset.get_gt_labels()[list(sampler)]
    np.testing.assert_allclose(
        np.bincount(drawn) / len(drawn), [1 / 3] * 3, atol=0.04)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match='`q`'):
        ClassBalancedSampler(LabelledDataset(), q=-1)
    with pytest.raises(ValueError, match='num_samples'):
        ClassBalancedSampler(LabelledDataset(), num_samples=0)
    with pytest.raises(TypeError, match='get_gt_labels'):
        ClassBalancedSampler([1, 2, 3])
    with pytest.raises(ValueError, match='empty'):
        ClassBalancedSampler(LabelledDataset(counts=()))
