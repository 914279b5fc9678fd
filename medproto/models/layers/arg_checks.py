# Copyright (c) medproto contributors. All rights reserved.
"""Constructor-argument checks shared by the convolution layers."""

__all__ = ['check_positive_int', 'check_odd_kernel_size']


def check_positive_int(name: str, value: int) -> None:
    """Raise ``ValueError`` unless ``value`` is an int >= 1 (not a bool).

    Args:
        name (str): The argument's name, for the message.
        value (int): The value to check.
    """
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f'{name} must be a positive int, got {value!r}')


def check_odd_kernel_size(kernel_size: int) -> None:
    """Raise ``ValueError`` unless ``kernel_size`` is a positive odd int
    (same-size padding needs an odd kernel).

    Args:
        kernel_size (int): The value to check.
    """
    if not isinstance(kernel_size, int) or isinstance(kernel_size, bool) \
            or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError('kernel_size must be a positive odd int, got '
                         f'{kernel_size!r}')
