# Copyright (c) medproto contributors. All rights reserved.
"""Stage 2 of decoupled training: load stage 1, re-initialise the
classifier (cRT, Kang et al., ICLR 2020)."""
import glob
import os.path as osp
from typing import Dict, List

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import Tensor, nn

from medproto.registry import HOOKS


@HOOKS.register_module()
class ClassifierRetrainHook(Hook):
    """Start a classifier re-training run from a stage-1 checkpoint.

    Classifier re-training (cRT; Kang et al., "Decoupling Representation and
    Classifier for Long-Tailed Recognition", ICLR 2020, Sec. 4) keeps the
    representation learnt with instance-balanced sampling, re-initialises
    the classifier and trains only the classifier with class-balanced
    sampling. At the start of a fresh run (``runner.iter == 0``) this hook
    loads every parameter and buffer of the stage-1 ``checkpoint`` except
    those under ``head`` and re-initialises ``head`` with its own
    ``init_cfg`` (or ``reset_parameters`` of its layers). A resumed run
    (``runner.iter > 0``) keeps the weights it resumed.

    Freezing is left to :class:`FreezeUnfreezeHook` (``modules=['backbone',
    'neck']``, ``freeze_for`` >= the epochs), the sampling to the config's
    ``ClassBalancedSampler``; see ``configs/pbc/baselines/crt_lt100.py``.

    Args:
        checkpoint (str): Stage-1 checkpoint; a shell pattern is allowed
            (the newest match is used) and ``{seed}`` is replaced by the
            run's seed, so one config serves every seed of a grid, e.g.
            ``'work_dirs/ablations/g/ce/seed{seed}/best_*.pth'``.
        head (str): Module path of the classifier to re-initialise.
            Defaults to ``'head'``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, checkpoint: str, head: str = 'head') -> None:
        if not isinstance(checkpoint, str) or not checkpoint:
            raise ValueError('ClassifierRetrainHook: checkpoint must be a '
                             f'path (or pattern), got {checkpoint!r}')
        if not isinstance(head, str) or not head:
            raise ValueError('ClassifierRetrainHook: head must be a module '
                             f'path, got {head!r}')
        self.checkpoint = checkpoint
        self.head = head

    def resolve(self, seed) -> str:
        """The stage-1 checkpoint file for ``seed`` (the newest match).

        Raises:
            FileNotFoundError: When nothing matches, naming the pattern.
        """
        pattern = self.checkpoint.replace('{seed}', str(seed))
        found = [p for p in glob.glob(pattern) if osp.isfile(p)]
        if not found:
            raise FileNotFoundError(
                f'ClassifierRetrainHook: no stage-1 checkpoint matches '
                f'{pattern!r}; train stage 1 first or set the hook\'s '
                f'`checkpoint`')
        return max(found, key=osp.getmtime)

    def before_train(self, runner) -> None:
        """Load stage 1 and re-initialise the head on a fresh run."""
        if runner.iter > 0:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        head = model.get_submodule(self.head)
        path = self.resolve(runner.seed)
        from medproto.compat.checkpoint import safe_torch_load
        loaded = safe_torch_load(path)
        state = loaded.get('state_dict', loaded)
        self._load_without_head(model, state, path)
        self._reinit(head)
        print_log(f'ClassifierRetrainHook: loaded {path} without '
                  f'`{self.head}`, re-initialised `{self.head}`',
                  logger='current')

    def _load_without_head(self, model: nn.Module, state: Dict[str, Tensor],
                           path: str) -> None:
        """Load ``state`` into ``model``, all keys but the head's."""
        prefix = self.head + '.'
        kept = {k: v for k, v in state.items() if not k.startswith(prefix)}
        result = model.load_state_dict(kept, strict=False)
        missing = [k for k in result.missing_keys if not k.startswith(prefix)]
        if missing or result.unexpected_keys:
            raise ValueError(
                f'ClassifierRetrainHook: {path} does not fit the model '
                f'outside `{self.head}`: missing {_few(missing)}, '
                f'unexpected {_few(result.unexpected_keys)}')

    @staticmethod
    def _reinit(head: nn.Module) -> None:
        """Fresh weights: the head's ``init_cfg`` via ``init_weights``,
        else ``reset_parameters`` of every layer that has one."""
        if getattr(head, 'init_cfg', None) and hasattr(head, 'init_weights'):
            head._is_init = False
            head.init_weights()
            return
        for module in head.modules():
            if module is not head and hasattr(module, 'reset_parameters'):
                module.reset_parameters()
        for name, param in head.named_parameters(recurse=False):
            if param.dim() > 1:
                nn.init.kaiming_uniform_(param, a=5**0.5)
            else:
                nn.init.zeros_(param)


def _few(keys: List[str], limit: int = 5) -> str:
    shown = ', '.join(keys[:limit]) or 'none'
    return shown + (f' (+{len(keys) - limit} more)' if len(keys) > limit
                    else '')
