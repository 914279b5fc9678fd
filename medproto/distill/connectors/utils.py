# Copyright (c) medproto contributors. All rights reserved.
"""Helpers shared by the connectors (nothing here is registered)."""
from torch import nn


def conv_norm_act(conv: nn.Module, out_channels: int, norm: bool,
                  relu: bool) -> nn.Sequential:
    """``conv`` followed by optional BatchNorm2d and ReLU.

    Args:
        conv (nn.Module): The convolution (its bias should be off when
            ``norm`` is on).
        out_channels (int): Output channels of ``conv``.
        norm (bool): Append ``BatchNorm2d(out_channels)``.
        relu (bool): Append ``ReLU``.

    Returns:
        nn.Sequential: The stacked layers.
    """
    layers = [conv]
    if norm:
        layers.append(nn.BatchNorm2d(out_channels))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` after checking that it is a bool.

    Args:
        name (str): Argument name used in the error message.
        value (object): The value to check.

    Returns:
        bool: ``value``.
    """
    if not isinstance(value, bool):
        raise ValueError(f'{name} must be a bool, got {value!r}')
    return value
