# Copyright (c) medproto contributors. All rights reserved.
"""Stop (or skip the step of) a run whose loss is NaN or infinite."""
from typing import Callable, List, Optional, Union

import torch
from mmengine.dist import get_world_size, is_distributed
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor

from medproto.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]

_ACTIONS = ('stop', 'skip')


class NonFiniteLossError(RuntimeError):
    """A training loss became NaN or infinite; said in one line."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Refuse optimizer steps on a non-finite loss; stop the run.

    The hook wraps ``update_params`` of the runner's optimizer wrapper(s):
    when the total loss is NaN or infinite the backward pass and the step
    are not run (the gradients are zeroed), so the weights keep their last
    finite values. Under DDP the decision is taken on all ranks at once
    (one ``all_reduce`` of a flag), so every rank skips or none does.
    After the iteration, with ``action='stop'`` (or once more than
    ``max_skips`` steps were skipped with ``action='skip'``) it raises
    :class:`NonFiniteLossError`, whose one-line message names the
    non-finite loss terms and the iteration (1-based, as in the log).
    The hook runs first in ``after_train_iter``, so no checkpoint of that
    iteration is written, no NaN weights become ``best_*`` and
    ``last_checkpoint`` keeps naming the last good checkpoint.

    Args:
        action (str): ``'stop'`` (raise at the first non-finite loss) or
            ``'skip'`` (skip the step, log a warning, raise only after more
            than ``max_skips`` skipped steps). Defaults to ``'stop'``.
        max_skips (int): With ``action='skip'``, how many steps may be
            skipped in total (>= 1). Defaults to 10.
    """

    priority = 'HIGHEST'

    def __init__(self, action: str = 'stop', max_skips: int = 10) -> None:
        if action not in _ACTIONS:
            raise ValueError(f'action must be one of {_ACTIONS}, got '
                             f'{action!r}')
        if isinstance(max_skips, bool) or not isinstance(
                max_skips, int) or max_skips < 1:
            raise ValueError(f'max_skips must be an int >= 1, got '
                             f'{max_skips!r}')
        self.action = action
        self.max_skips = max_skips
        self.num_skipped = 0
        self._bad_step = False

    def before_train(self, runner) -> None:
        wrappers = runner.optim_wrapper
        if isinstance(wrappers, OptimWrapperDict):
            wrappers = list(wrappers.values())
        else:
            wrappers = [wrappers]
        for wrapper in wrappers:
            if isinstance(wrapper, OptimWrapper):
                wrapper.update_params = self._guard(wrapper)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if not self._bad_step:
            return
        self._bad_step = False
        self.num_skipped += 1
        message = (f'non-finite loss at iteration {runner.iter + 1}: '
                   f'{", ".join(self._bad_terms(outputs or {}))}')
        if self.action == 'skip' and self.num_skipped <= self.max_skips:
            runner.logger.warning(f'{message}; step skipped '
                                  f'({self.num_skipped}/{self.max_skips})')
            return
        raise NonFiniteLossError(self._stop_message(runner, message))

    def _guard(self, wrapper: OptimWrapper) -> Callable:
        """``wrapper.update_params`` that skips a non-finite loss."""
        update_params = wrapper.update_params

        def guarded(loss: Tensor, *args, **kwargs) -> None:
            if self._is_finite(loss):
                return update_params(loss, *args, **kwargs)
            self._bad_step = True
            wrapper.zero_grad()
            # keep gradient-accumulation boundaries where they were
            wrapper._inner_count += 1
            return None

        return guarded

    @staticmethod
    def _is_finite(loss: Tensor) -> bool:
        """Whether ``loss`` is finite on every rank."""
        flag = torch.isfinite(loss.detach()).all().float().reshape(1)
        if is_distributed() and get_world_size() > 1:
            torch.distributed.all_reduce(
                flag, op=torch.distributed.ReduceOp.MIN)
        return bool(flag.item() > 0)

    @staticmethod
    def _bad_terms(outputs: dict) -> List[str]:
        """``name=value`` of the non-finite logged loss terms, the total
        ``loss`` only when no term is."""
        bad = []
        for name, value in outputs.items():
            value = torch.as_tensor(value).detach().float()
            if not torch.isfinite(value).all():
                bad.append((name, value.mean().item()))
        terms = [b for b in bad if b[0] != 'loss'] or bad
        return [f'{name}={value}' for name, value in terms] or ['loss']

    def _stop_message(self, runner, message: str) -> str:
        stopped = 'training stopped, the step was not applied'
        if self.action == 'skip':
            stopped = (f'training stopped after {self.max_skips} skipped '
                       f'steps')
        last = runner.message_hub.get_info('last_ckpt')
        where = (f'; the last checkpoint is {last}' if last else
                 '; no checkpoint was saved yet')
        return (f'{message} ({stopped}{where}); lower the learning rate '
                f'or check the data')

