# Copyright (c) medproto contributors. All rights reserved.
"""Freeze parts of the model for the first epochs / iterations."""
from typing import List, Optional, Sequence, Union

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm
from torch.nn.parallel import DistributedDataParallel

from medproto.registry import HOOKS
from ..optimizers.path_rules import first_match, validate_pattern

DATA_BATCH = Optional[Union[dict, tuple, list]]


@HOOKS.register_module()
class FreezeUnfreezeHook(Hook):
    """Train with some parts frozen, then unfreeze them.

    While ``progress < freeze_for`` (progress = ``runner.epoch`` with
    ``by_epoch=True``, else ``runner.iter``) every parameter under the module
    paths ``modules`` (component-wise prefixes with shell wildcards, see
    :mod:`medproto.engine.optimizers.path_rules`), except those under
    ``exclude``, has ``requires_grad=False`` -- its ``grad`` stays None, so
    the optimizer skips it -- and, with ``freeze_norm_stats``, the batch /
    instance norm layers there are kept in eval mode so their running
    statistics do not move. The loops call ``model.train()`` at every epoch
    (and, iteration-based, every iteration), so the state is re-applied in
    ``before_train_iter``. Afterwards the parameters the hook froze are made
    trainable again and the norms follow ``model.training``.

    The state is a pure function of the progress, so it is right after a
    resume. Build the optimizer with
    :class:`~medproto.engine.optimizers.PathParamwiseOptimWrapperConstructor`
    (or without ``paramwise_cfg``): mmengine's default constructor with a
    ``paramwise_cfg`` drops parameters that are frozen at build time.

    Distributed training: DDP must be built with
    ``find_unused_parameters=True`` (``model_wrapper_cfg=dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)``), as
    frozen parameters get no gradient; the hook raises a ValueError
    otherwise. Parameters are frozen after wrapping, so DDP still reduces
    them once they are unfrozen.

    Args:
        modules (Sequence[str]): Module path patterns to freeze, e.g.
            ``['backbone']``. Defaults to ``('backbone', )``.
        freeze_for (int): Number of epochs (or iterations) to keep them
            frozen; 0 disables the hook. Defaults to 1.
        by_epoch (bool): Count epochs (True) or iterations. Defaults to True.
        exclude (Sequence[str]): Paths kept trainable inside ``modules``,
            e.g. ``['backbone.fusions']``. Defaults to ().
        freeze_norm_stats (bool): Keep the frozen parts' BatchNorm /
            InstanceNorm layers in eval mode. Defaults to True.
    """

    priority = 'NORMAL'

    def __init__(self,
                 modules: Sequence[str] = ('backbone', ),
                 freeze_for: int = 1,
                 by_epoch: bool = True,
                 exclude: Sequence[str] = (),
                 freeze_norm_stats: bool = True) -> None:
        if isinstance(modules, str) or not modules:
            raise ValueError('modules must be a non-empty list of module '
                             f'paths, got {modules!r}')
        if isinstance(exclude, str):
            raise ValueError(f'exclude must be a list of module paths, got '
                             f'{exclude!r}')
        if isinstance(freeze_for, bool) or not isinstance(
                freeze_for, int) or freeze_for < 0:
            raise ValueError(
                f'freeze_for must be an int >= 0, got {freeze_for!r}')
        self.modules = [validate_pattern(p) for p in modules]
        self.exclude = [validate_pattern(p) for p in exclude]
        self.freeze_for = freeze_for
        self.by_epoch = by_epoch
        self.freeze_norm_stats = freeze_norm_stats
        self._frozen_params: Optional[List[nn.Parameter]] = None

    def _selected(self, name: str) -> bool:
        """Whether a module / parameter name is in the frozen parts."""
        return first_match(self.modules, name) is not None and first_match(
            self.exclude, name) is None

    def is_frozen(self, runner) -> bool:
        """Whether the parts are frozen at the runner's current progress.

        Args:
            runner (Runner): The runner.

        Returns:
            bool: ``progress < freeze_for``.
        """
        progress = runner.epoch if self.by_epoch else runner.iter
        return progress < self.freeze_for

    @staticmethod
    def _unwrap(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        """Validate the paths and the DDP setting, then apply the state."""
        model = self._unwrap(runner)
        if not any(self._selected(n) for n, _ in model.named_parameters()):
            raise ValueError(f'FreezeUnfreezeHook: modules={self.modules} '
                             f'(exclude={self.exclude}) match no parameter '
                             f'of {type(model).__name__}')
        if self.freeze_for and isinstance(
                runner.model, DistributedDataParallel
        ) and not runner.model.find_unused_parameters:
            raise ValueError(
                'FreezeUnfreezeHook needs DDP with find_unused_parameters='
                'True (frozen parameters get no gradient): set model_wrapper'
                "_cfg=dict(type='MMDistributedDataParallel', "
                'find_unused_parameters=True)')
        self._apply(runner)

    def before_train_epoch(self, runner) -> None:
        """Apply the state at the start of every epoch."""
        self._apply(runner)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        """Apply the state after the loop's ``model.train()``."""
        self._apply(runner)

    def after_train(self, runner) -> None:
        """Leave every parameter the hook froze trainable."""
        self._set_frozen(runner, False)

    def _apply(self, runner) -> None:
        frozen = self.freeze_for > 0 and self.is_frozen(runner)
        self._set_frozen(runner, frozen)

    def _set_frozen(self, runner, frozen: bool) -> None:
        model = self._unwrap(runner)
        if frozen and self._frozen_params is None:
            self._frozen_params = [
                p for n, p in model.named_parameters()
                if self._selected(n) and p.requires_grad
            ]
            for p in self._frozen_params:
                p.requires_grad_(False)
            print_log(
                f'FreezeUnfreezeHook: froze {len(self._frozen_params)} '
                f'tensors under {self.modules} (exclude {self.exclude}) '
                f'until {"epoch" if self.by_epoch else "iter"} '
                f'{self.freeze_for}',
                logger='current')
        elif not frozen and self._frozen_params is not None:
            for p in self._frozen_params:
                p.requires_grad_(True)
            print_log(
                f'FreezeUnfreezeHook: unfroze {len(self._frozen_params)} '
                f'tensors at epoch {runner.epoch}, iter {runner.iter}',
                logger='current')
            self._frozen_params = None
        if self.freeze_norm_stats:
            for name, module in model.named_modules():
                if isinstance(module, (_BatchNorm, _InstanceNorm)) and \
                        self._selected(name):
                    module.train(model.training and not frozen)
