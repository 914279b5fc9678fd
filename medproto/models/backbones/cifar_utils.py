# Copyright (c) medproto contributors. All rights reserved.
"""Argument checks shared by the CIFAR backbones (nothing registered)."""
from typing import Sequence, Tuple


def check_out_indices(out_indices: Sequence[int],
                      num_stages: int) -> Tuple[int, ...]:
    """Normalise stage indices (negative ones count from the end).

    Args:
        out_indices (Sequence[int]): Stage indices.
        num_stages (int): Number of stages.

    Returns:
        tuple[int, ...]: Sorted, non-negative, unique indices.
    """
    if isinstance(out_indices, int):
        out_indices = (out_indices, )
    if not isinstance(out_indices, (list, tuple)) or not out_indices:
        raise ValueError('out_indices must be a non-empty list of stage '
                         f'indices, got {out_indices!r}')
    normalised = []
    for index in out_indices:
        if (not isinstance(index, int) or isinstance(index, bool)
                or not -num_stages <= index < num_stages):
            raise ValueError(f'out_indices must be ints in [{-num_stages}, '
                             f'{num_stages}), got {out_indices!r}')
        normalised.append(index % num_stages)
    return tuple(sorted(set(normalised)))
