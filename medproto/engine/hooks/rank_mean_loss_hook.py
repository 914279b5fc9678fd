# Copyright (c) medproto contributors. All rights reserved.
"""Log the training losses averaged over all ranks."""
from typing import Optional, Union

import torch
from mmengine.dist import get_world_size, is_distributed
from mmengine.hooks import Hook

from medproto.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]


@HOOKS.register_module()
class RankMeanLossHook(Hook):
    """Replace each logged value of a training step by its mean over ranks.

    mmengine logs the losses of rank 0's batch only, so a DDP log is not
    comparable with a single-process one (whose batch holds all ranks'
    samples). Before the runtime-info hook records the step's outputs,
    this hook all-reduces every scalar output (one ``all_reduce`` of one
    stacked tensor) and divides by the world size. Without DDP, or with one
    process, it does nothing. ``tools/train.py`` adds it when a config does
    not.
    """

    priority = 'HIGHEST'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or not is_distributed() or get_world_size() < 2:
            return
        names = [k for k, v in outputs.items()
                 if isinstance(v, (torch.Tensor, float, int))
                 and torch.as_tensor(v).numel() == 1]
        if not names:
            return
        device = next((v.device for v in outputs.values()
                       if isinstance(v, torch.Tensor)), torch.device('cpu'))
        stacked = torch.stack([
            torch.as_tensor(outputs[k], dtype=torch.float64,
                            device=device).detach().reshape(())
            for k in names
        ])
        torch.distributed.all_reduce(stacked)
        stacked /= get_world_size()
        for name, value in zip(names, stacked):
            outputs[name] = value.float()
