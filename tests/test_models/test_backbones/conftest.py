# Copyright (c) medproto contributors. All rights reserved.
import pytest


def _record(model, names):
    """Register forward hooks that store the outputs of ``names``."""
    feats = {}
    for name in names:
        model.get_submodule(name).register_forward_hook(
            lambda m, i, o, name=name: feats.__setitem__(name, o))
    return feats


@pytest.fixture
def record():
    """``record(model, names) -> dict``: the outputs of the named modules
    of ``model``, filled in by each forward pass."""
    return _record
