# Copyright (c) medproto contributors. All rights reserved.
import itertools
import random

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from medproto.datasets.checks import DataError
from medproto.datasets.samplers import ResumableInfiniteSampler
from medproto.datasets.samplers.resumable_infinite_sampler import SeededIndex


class _Noisy(Dataset):
    """Returns (index, draws from the three global generators)."""

    def __init__(self, n=5, bad=None):
        self.n, self.bad = n, bad

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        if idx == self.bad:
            raise OSError('image file is truncated')
        return torch.tensor([float(idx), random.random(), np.random.rand(),
                             torch.rand(()).item()])

    def get_data_info(self, idx):
        return dict(img_path=f'img_{idx}.png')


def _take(sampler, k):
    return list(itertools.islice(iter(sampler), k))


def test_stream_is_whole_passes_and_starts_anywhere():
    sampler = ResumableInfiniteSampler(_Noisy(5), seed=3)
    stream = _take(sampler, 15)
    for p in range(3):  # each pass is a permutation of the dataset
        assert sorted(map(int, stream[5 * p:5 * p + 5])) == list(range(5))
    assert [int(i) for i in stream[:5]] != [int(i) for i in stream[5:10]]
    sampler.set_start(7)
    resumed = _take(sampler, 8)
    assert [int(i) for i in resumed] == [int(i) for i in stream[7:15]]
    assert [i.seed for i in resumed] == [i.seed for i in stream[7:15]]
    assert len({i.seed for i in stream}) == 15


def test_ranks_split_the_global_stream(monkeypatch):
    import medproto.datasets.samplers.resumable_infinite_sampler as mod
    full = _take(ResumableInfiniteSampler(_Noisy(5), seed=1), 10)
    parts = []
    for rank in range(2):
        monkeypatch.setattr(mod, 'get_dist_info', lambda r=rank: (r, 2))
        parts.append(_take(ResumableInfiniteSampler(_Noisy(5), seed=1), 5))
    assert [int(i) for i in parts[0]] == [int(i) for i in full[0::2]]
    assert [int(i) for i in parts[1]] == [int(i) for i in full[1::2]]


@pytest.mark.parametrize('workers', [0, 2])
def test_augmentation_depends_on_position_only(workers):
    """Same samples with 0 / 2 workers, from the start or resumed, and the
    main process's generators untouched."""
    def batches(start, num_workers):
        dataset = _Noisy(5)
        sampler = ResumableInfiniteSampler(dataset, seed=0)
        sampler.set_start(start)
        loader = DataLoader(dataset, batch_size=2, sampler=sampler,
                            num_workers=num_workers)
        return torch.cat(list(itertools.islice(iter(loader), 3)))

    whole = batches(0, 0)
    resumed = batches(2, workers)  # one batch (2 samples) skipped
    assert torch.equal(resumed[:4], whole[2:])
    assert torch.equal(batches(0, workers), whole)


def test_seeded_fetch_leaves_the_global_generators_alone():
    dataset = _Noisy(3)
    fetch = ResumableInfiniteSampler(dataset, seed=0).dataset.__getitems__
    torch.manual_seed(5)
    random.seed(5)
    np.random.seed(5)
    before = (torch.get_rng_state(), random.getstate(), np.random.rand())
    np.random.seed(5)
    first = fetch([SeededIndex(1, 7), SeededIndex(2, 8)])
    assert torch.equal(torch.get_rng_state(), before[0])
    assert random.getstate() == before[1] and np.random.rand() == before[2]
    again = fetch([SeededIndex(1, 7), SeededIndex(2, 8)])
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[0][1:], first[1][1:])


def test_a_failing_sample_names_its_file():
    dataset = _Noisy(3, bad=1)
    fetch = ResumableInfiniteSampler(dataset, seed=0).dataset.__getitems__
    with pytest.raises(DataError, match=r'img_1\.png: OSError: image file is '
                       r'truncated'):
        fetch([SeededIndex(1, 7)])


def test_seeded_index_survives_pickling():
    import pickle
    idx = pickle.loads(pickle.dumps(SeededIndex(4, 99)))
    assert int(idx) == 4 and idx.seed == 99


def test_bad_arguments():
    with pytest.raises(ValueError, match='empty dataset'):
        ResumableInfiniteSampler(_Noisy(0))
    with pytest.raises(ValueError, match='num_samples must be >= 0'):
        ResumableInfiniteSampler(_Noisy(2), seed=0).set_start(-1)
