# Copyright (c) medproto contributors. All rights reserved.
"""Class-balanced / square-root re-sampling for long-tailed training."""
import math
from typing import Iterator, Optional, Sized

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from mmpretrain.registry import DATA_SAMPLERS
from torch.utils.data import Sampler


def _dataset_labels(dataset: Sized) -> np.ndarray:
    """Return the label of every sample of ``dataset``.

    Args:
        dataset (Sized): A dataset with ``get_gt_labels()`` (mmpretrain
            datasets) or ``get_cat_ids(idx)``.

    Returns:
        np.ndarray: int64 labels, one per sample.
    """
    if hasattr(dataset, 'get_gt_labels'):
        labels = np.asarray(dataset.get_gt_labels())
    elif hasattr(dataset, 'get_cat_ids'):
        labels = np.asarray(
            [dataset.get_cat_ids(i)[0] for i in range(len(dataset))])
    else:
        raise TypeError(
            f'ClassBalancedSampler needs a dataset with get_gt_labels() or '
            f'get_cat_ids(), got {type(dataset).__name__}')
    if labels.ndim != 1 or len(labels) != len(dataset):
        raise ValueError(f'ClassBalancedSampler needs one integer label per '
                         f'sample, got labels of shape {labels.shape} for '
                         f'{len(dataset)} samples (multi-label datasets are '
                         f'not supported)')
    return labels.astype(np.int64)


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(Sampler):
    """Draw samples with probability proportional to ``n_c ** -q``.

    ``n_c`` is the size of the sample's class, so each class ``c`` is drawn
    with total probability proportional to ``n_c ** (1 - q)``: ``q = 1``
    gives class-balanced sampling (every class equally often), ``q = 0.5``
    square-root sampling, ``q = 0`` plain uniform sampling with replacement
    (Kang et al., ICLR 2020, "Decoupling representation and classifier").

    Like mmengine's ``DefaultSampler`` the draw is seeded by
    ``seed + epoch`` (call :meth:`set_epoch`), identical on every rank, and
    each rank takes every ``world_size``-th index of it, so the ranks share
    the epoch's ``num_samples`` draws without overlap.

    Args:
        dataset (Sized): The dataset; labels come from ``get_gt_labels()``
            (or ``get_cat_ids``).
        q (float): Re-balancing exponent, ``>= 0``. Defaults to 1.0.
        num_samples (int, optional): Draws per epoch over all ranks.
            Defaults to ``len(dataset)``.
        seed (int, optional): Base seed, identical on all ranks. Defaults to
            a seed synchronised across ranks.
        round_up (bool): Round the draws up to a multiple of the world size,
            so that every rank gets the same number. Defaults to True.
    """

    def __init__(self,
                 dataset: Sized,
                 q: float = 1.0,
                 num_samples: Optional[int] = None,
                 seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        if not (isinstance(q, (int, float)) and q >= 0):
            raise ValueError(f'`q` must be a number >= 0, got {q!r}')
        if num_samples is not None and not (isinstance(num_samples, int)
                                            and num_samples >= 1):
            raise ValueError(
                f'`num_samples` must be an int >= 1 or None, got '
                f'{num_samples!r}')
        if len(dataset) == 0:
            raise ValueError('ClassBalancedSampler got an empty dataset')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.q = float(q)
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.round_up = round_up
        labels = _dataset_labels(dataset)
        if labels.min() < 0:
            raise ValueError(f'ClassBalancedSampler got a negative label '
                             f'{labels.min()} in {type(dataset).__name__}')
        self.class_counts = np.bincount(labels)
        self.weights = torch.as_tensor(
            self.class_counts[labels].astype(np.float64)**-self.q)
        total = len(dataset) if num_samples is None else num_samples
        if round_up:
            self.num_samples = math.ceil(total / self.world_size)
            self.total_size = self.num_samples * self.world_size
        else:
            self.num_samples = math.ceil(
                max(total - self.rank, 0) / self.world_size)
            self.total_size = total

    def __iter__(self) -> Iterator[int]:
        """Yield this rank's share of the epoch's draws."""
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        indices = torch.multinomial(
            self.weights, self.total_size, replacement=True,
            generator=generator).tolist()
        return iter(indices[self.rank:self.total_size:self.world_size])

    def __len__(self) -> int:
        """Number of indices this rank yields per epoch."""
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, so that each epoch draws differently.

        Args:
            epoch (int): The epoch number.
        """
        self.epoch = epoch
