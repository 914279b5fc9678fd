# Copyright (c) medproto contributors. All rights reserved.
"""Pieces shared by the CIFAR backbones (nothing registered): argument
checks, the default initialisation and the stage builder."""
from typing import Callable, List, Sequence, Tuple

from torch import nn


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


def default_init_cfg() -> List[dict]:
    """Kaiming (fan_out) for convolutions and 1/0 for BatchNorm.

    Returns:
        list[dict]: A new mmengine ``init_cfg`` list.
    """
    return [
        dict(type='Kaiming', layer='Conv2d', mode='fan_out',
             nonlinearity='relu'),
        dict(type='Constant', val=1, bias=0, layer='BatchNorm2d')
    ]


def add_stages(backbone: nn.Module,
               make_block: Callable[[int, int, int], nn.Module],
               in_channels: int,
               widths: Sequence[int],
               blocks_per_stage: int,
               strides: Sequence[int] = (1, 2, 2)) -> int:
    """Add the stages ``layer1``, ``layer2``, ... to ``backbone``.

    Stage ``i`` is ``make_block(c, widths[i], strides[i])`` followed by
    ``blocks_per_stage - 1`` blocks ``make_block(widths[i], widths[i], 1)``,
    where ``c`` is the previous stage's width (``in_channels`` for the
    first).

    Args:
        backbone (nn.Module): Module the stages are added to.
        make_block (Callable): ``(in_channels, out_channels, stride)`` to a
            block.
        in_channels (int): Channels entering the first stage.
        widths (Sequence[int]): Output channels of each stage.
        blocks_per_stage (int): Blocks in each stage.
        strides (Sequence[int]): Stride of each stage's first block.
            Defaults to (1, 2, 2).

    Returns:
        int: Channels of the last stage's output.
    """
    channels = in_channels
    for i, (width, stride) in enumerate(zip(widths, strides)):
        blocks = [make_block(channels, width, stride)]
        blocks += [make_block(width, width, 1)
                   for _ in range(blocks_per_stage - 1)]
        backbone.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
        channels = width
    return channels
