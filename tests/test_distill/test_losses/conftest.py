# Copyright (c) medproto contributors. All rights reserved.
"""Fixtures shared by the distillation-loss tests."""
from typing import Callable, Sequence

import pytest
import torch


def _assert_student_only_gradients(loss: torch.Tensor,
                                   students: Sequence[torch.Tensor],
                                   teachers: Sequence[torch.Tensor]) -> None:
    """Backprop ``loss``; every student input gets a nonzero gradient and no
    teacher input gets one (the loss detaches them)."""
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    for s in students:
        assert s.grad is not None and s.grad.abs().sum() > 0
    for t in teachers:
        assert t.grad is None


@pytest.fixture
def assert_student_only_gradients() -> Callable:
    return _assert_student_only_gradients
