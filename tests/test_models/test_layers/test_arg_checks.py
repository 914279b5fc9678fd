# Copyright (c) medproto contributors. All rights reserved.
import pytest

from medproto.models.layers.arg_checks import (check_odd_kernel_size,
                                               check_positive_int)


@pytest.mark.parametrize('value', [0, -1, 1.0, True, '3', None])
def test_check_positive_int_rejects(value):
    with pytest.raises(ValueError, match='stride must be a positive int'):
        check_positive_int('stride', value)


@pytest.mark.parametrize('value', [2, 4, 0, -3, 3.0, True])
def test_check_odd_kernel_size_rejects(value):
    with pytest.raises(ValueError, match='kernel_size must be a positive odd'):
        check_odd_kernel_size(value)


def test_checks_accept_valid_values():
    check_positive_int('channels', 1)
    check_odd_kernel_size(1)
    check_odd_kernel_size(7)
