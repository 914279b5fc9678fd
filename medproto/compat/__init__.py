# Copyright (c) medproto contributors. All rights reserved.
"""Compatibility layer for today's PyTorch and the OpenMMLab 2.x stack.

Importing :mod:`medproto` calls :func:`install`, which

1. registers pure-PyTorch stand-ins for the two ``mmcv.ops`` names mmseg
   imports eagerly, when no compiled mmcv is present (:mod:`.mmcv_ops`);
2. makes local checkpoints load with ``weights_only=True`` and write
   atomically (:mod:`.checkpoint`);
3. lets mmengine's ``pytorch`` launcher run on CPU-only machines with gloo
   (:mod:`.dist`);
4. lets configs inherit medproto's shipped configs as
   ``'medproto::<path>'`` (:mod:`.config_scope`).
"""
from .checkpoint import (UnsafeCheckpointError, atomic_write_bytes,
                         from_safe, safe_torch_load, to_safe)
from .mmcv_ops import compiled_mmcv_available, point_sample, sigmoid_focal_loss

__all__ = ['install', 'UnsafeCheckpointError', 'safe_torch_load', 'to_safe',
           'from_safe', 'atomic_write_bytes', 'point_sample',
           'sigmoid_focal_loss', 'compiled_mmcv_available']


def install() -> None:
    """Install every compatibility shim (idempotent)."""
    from . import checkpoint, config_scope, dist, mmcv_ops
    mmcv_ops.install()
    checkpoint.install()
    dist.install()
    config_scope.install()
