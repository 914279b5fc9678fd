# Copyright (c) medproto contributors. All rights reserved.
import pytest
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def _isolate_default_scope():
    """Each test starts with the default scopes that existed before it.

    A Runner or ``init_default_scope`` call creates a global DefaultScope
    that would otherwise leak into later tests (e.g. 'mmengine' hiding
    mmpretrain's transforms).
    """
    saved = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


@pytest.fixture(autouse=True)
def _seed_everything():
    """Every test sees the same random numbers whatever ran before it."""
    import random

    import numpy as np
    import torch
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
