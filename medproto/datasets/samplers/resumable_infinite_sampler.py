# Copyright (c) medproto contributors. All rights reserved.
"""An infinite sampler that starts at any position in O(1) and seeds every
sample's augmentation from that position."""
import random
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Sized

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

from medproto.datasets.checks import DataError


class SeededIndex(int):
    """A dataset index that carries the seed of its draw (``seed``).

    The sampler yields these; :class:`SeededFetch` seeds the random
    generators with ``seed`` before the dataset's pipeline runs on it.
    """

    seed: int

    def __new__(cls, value: int, seed: int) -> 'SeededIndex':
        obj = super().__new__(cls, value)
        obj.seed = seed
        return obj

    def __reduce__(self):  # pickled to dataloader workers
        return SeededIndex, (int(self), self.seed)


@contextmanager
def seeded_cpu_rngs(seed: int) -> Iterator[None]:
    """Seed Python's, numpy's and torch's CPU generators with ``seed`` and
    put their previous states back on exit (CUDA generators untouched)."""
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


class SeededFetch:
    """``dataset.__getitems__`` that runs each :class:`SeededIndex` with its
    own seed.

    PyTorch's map-style fetcher calls ``dataset.__getitems__(indices)`` for
    a batch when the dataset has one, in the main process or in a worker.
    Seeding per sample makes every augmentation a function of the sample's
    position in the stream: the same with 0 or N workers, with persistent
    or restarted workers, and after a resume that skipped the earlier
    positions without loading them.
    """

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __call__(self, indices: List[int]) -> List[Any]:
        out = []
        for idx in indices:
            try:
                if isinstance(idx, SeededIndex):
                    with seeded_cpu_rngs(idx.seed):
                        out.append(self.dataset[int(idx)])
                else:
                    out.append(self.dataset[idx])
            except DataError:
                raise
            except Exception as err:  # noqa: BLE001 - named, then re-raised
                raise DataError(f'{self._file_of(int(idx))}: '
                                f'{type(err).__name__}: {_line(err)}') from err
        return out

    def _file_of(self, idx: int) -> str:
        """The image file of sample ``idx`` (for messages)."""
        try:
            return str(self.dataset.get_data_info(idx).get('img_path'))
        except Exception:  # noqa: BLE001
            return f'sample {idx}'


def _line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[-1] if text else ''


@DATA_SAMPLERS.register_module()
class ResumableInfiniteSampler(Sampler):
    """Endless shuffled passes over a dataset, resumable at any position.

    Pass ``e`` (0, 1, ...) is a permutation drawn from a generator seeded
    with ``seed + e``, so position ``p`` of the global stream is
    ``perm_{p // n}[p % n]`` and a run resumed after ``k`` samples per rank
    starts there directly (:meth:`set_start`) instead of loading the
    ``k`` skipped samples. Rank ``r`` of ``w`` takes the global positions
    ``r, r + w, r + 2w, ...`` (as mmengine's ``InfiniteSampler``).

    With ``seed_transforms`` every index is a :class:`SeededIndex` whose
    seed is derived from (``seed``, global position), and the dataset gets
    a :class:`SeededFetch` ``__getitems__``, so random augmentations are
    reproducible after a resume and independent of ``num_workers``.

    Args:
        dataset (Sized): The dataset.
        shuffle (bool): Shuffle each pass; else pass order is 0..n-1.
            Defaults to True.
        seed (int, optional): Base seed; None draws one shared by all ranks.
            Defaults to None.
        seed_transforms (bool): Seed each sample's pipeline from its
            position. Defaults to True.
    """

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 seed_transforms: bool = True) -> None:
        if len(dataset) == 0:
            raise ValueError('ResumableInfiniteSampler got an empty dataset')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.size = len(dataset)
        self.seed_transforms = seed_transforms
        self.start = 0
        if seed_transforms:
            dataset.__getitems__ = SeededFetch(dataset)

    def set_start(self, num_samples: int) -> None:
        """Begin the next iteration after ``num_samples`` samples of this
        rank (the iteration count times the batch size)."""
        if num_samples < 0:
            raise ValueError(f'num_samples must be >= 0, got {num_samples}')
        self.start = int(num_samples)

    def _order(self, epoch: int) -> List[int]:
        if not self.shuffle:
            return list(range(self.size))
        gen = torch.Generator().manual_seed(self.seed + epoch)
        return torch.randperm(self.size, generator=gen).tolist()

    def _sample_seed(self, position: int) -> int:
        seq = np.random.SeedSequence([self.seed % 2**63, position])
        return int(seq.generate_state(1, np.uint32)[0])

    def __iter__(self) -> Iterator[int]:
        position = self.start * self.world_size + self.rank
        epoch, order = -1, []
        while True:
            if position // self.size != epoch:
                epoch = position // self.size
                order = self._order(epoch)
            idx = order[position % self.size]
            yield (SeededIndex(idx, self._sample_seed(position))
                   if self.seed_transforms else idx)
            position += self.world_size

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """No-op: the stream has no epochs (called by
        ``DistSamplerSeedHook``)."""
