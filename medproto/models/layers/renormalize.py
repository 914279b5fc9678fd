# Copyright (c) medproto contributors. All rights reserved.
"""Map a batch normalised one way onto another per-channel normalisation."""
from typing import Sequence

import torch
from torch import Tensor, nn

__all__ = ['Renormalize']


class Renormalize(nn.Module):
    """``y = ((x * std_in + mean_in) - mean_out) / std_out`` per channel.

    Lets a pretrained encoder that expects its own input statistics (timm's
    ``pretrained_cfg`` mean / std) share a data preprocessor with a model
    that expects others, e.g. a teacher and a student under one
    distiller. The constants are buffers that are not saved.

    Args:
        mean_in (Sequence[float]): Mean that was subtracted, per channel.
        std_in (Sequence[float]): Std that was divided by (> 0).
        mean_out (Sequence[float]): Mean the consumer expects.
        std_out (Sequence[float]): Std the consumer expects (> 0).
        names (Sequence[str]): How errors name the four arguments, e.g.
            the config keys they come from. Defaults to the argument names.

    Shape:
        - Input: (B, C, H, W) with C = len(mean_in).
        - Output: the same.
    """

    def __init__(self, mean_in: Sequence[float], std_in: Sequence[float],
                 mean_out: Sequence[float],
                 std_out: Sequence[float],
                 names: Sequence[str] = ('mean_in', 'std_in', 'mean_out',
                                         'std_out')) -> None:
        super().__init__()
        values = {}
        for key, name, value in zip(
                ('mean_in', 'std_in', 'mean_out', 'std_out'), names,
                (mean_in, std_in, mean_out, std_out)):
            value = [float(v) for v in value]
            if len(value) != len(mean_in) or not value:
                raise ValueError(f'{name} must have {len(mean_in)} values '
                                 f'(one per channel), got {value!r}')
            if key.startswith('std') and min(value) <= 0:
                raise ValueError(f'{name} must be > 0, got {value!r}')
            values[key] = torch.tensor(value).view(1, -1, 1, 1)
        self.register_buffer('scale', values['std_in'] / values['std_out'],
                             persistent=False)
        self.register_buffer(
            'shift', (values['mean_in'] - values['mean_out']) /
            values['std_out'], persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        """Renormalise ``x`` (B, C, H, W)."""
        return x * self.scale + self.shift
