# Copyright (c) medproto contributors. All rights reserved.
"""Distributed training on CPU-only machines (gloo).

mmengine 0.10's ``init_dist(launcher='pytorch')`` always calls
``torch.cuda.set_device``, which fails where there is no GPU. On such a
machine :func:`install` makes it initialise the process group directly; with
CUDA present mmengine's own function runs unchanged.
"""
import os

import torch
import torch.distributed as torch_dist

__all__ = ['install']


def _init_dist_pytorch_cpu(backend: str = 'gloo',
                           init_backend: str = 'torch', **kwargs) -> None:
    """Initialise the default process group from torchrun's environment."""
    if init_backend != 'torch':
        raise ValueError(f'init_backend {init_backend!r} needs a GPU; only '
                         f"'torch' is supported on CPU")
    torch_dist.init_process_group(
        backend=backend,
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)


def install() -> None:
    """Patch mmengine's pytorch launcher when CUDA is unavailable."""
    if torch.cuda.is_available():
        return
    from mmengine.dist import utils
    if getattr(utils._init_dist_pytorch, '__medproto_cpu__', False):
        return
    cuda_version = utils._init_dist_pytorch

    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available():  # pragma: no cover
            return cuda_version(backend, init_backend=init_backend, **kwargs)
        return _init_dist_pytorch_cpu(backend, init_backend, **kwargs)

    _init_dist_pytorch.__medproto_cpu__ = True
    utils._init_dist_pytorch = _init_dist_pytorch
