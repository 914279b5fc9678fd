# Copyright (c) medproto contributors. All rights reserved.
"""Keep resume checkpoints loadable with ``torch.load(weights_only=True)``."""
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from medproto.compat.checkpoint import (from_safe, remove_stale_temporaries,
                                        to_safe)
from medproto.registry import HOOKS

_SAFE_KEYS = ('message_hub', 'meta')


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Convert the non-tensor state of a checkpoint to plain containers.

    mmengine stores ``HistoryBuffer`` objects and numpy values in the
    ``message_hub`` and ``meta`` entries of every resume checkpoint; torch
    >= 2.6 refuses to unpickle them with ``weights_only=True``. This hook
    runs last before a checkpoint is saved and turns them into tagged
    tensors and dicts (:func:`medproto.compat.to_safe`), and turns them
    back right after a checkpoint is loaded, before the runner restores its
    message hub. At the start of training it deletes the temporaries a
    killed checkpoint write left in the work dir (``.iter_N.pth.*.tmp``).
    ``tools/train.py`` adds it when a config does not.
    """

    priority = 'LOWEST'

    def before_train(self, runner) -> None:
        if is_main_process():
            for path in remove_stale_temporaries(runner.work_dir):
                runner.logger.info(f'removed the partial file {path} of an '
                                   f'interrupted write')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        for key in _SAFE_KEYS:
            if key in checkpoint:
                checkpoint[key] = to_safe(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        for key in _SAFE_KEYS:
            if key in checkpoint:
                checkpoint[key] = from_safe(checkpoint[key])
