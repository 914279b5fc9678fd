# Copyright (c) medproto contributors. All rights reserved.
"""Differential learning rates matched on module paths."""
import inspect
import logging
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS, OPTIMIZERS
from torch import nn

from medproto.registry import OPTIM_WRAPPER_CONSTRUCTORS
from .path_rules import first_match, validate_pattern

Rule = Union[Tuple[str, float], Sequence, dict]

#: The MHF recipe (methods notes section 3.2): enhancement 1.0, fusion 0.5,
#: rest of the backbone 0.1, head 2.0.
DEFAULT_LR_MULTS = (
    ('backbone.fusions.*.enhancement', 1.0),
    ('backbone.fusions', 0.5),
    ('backbone', 0.1),
    ('head', 2.0),
)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class PathParamwiseOptimWrapperConstructor:
    """Build an optimizer with per-module-path learning-rate multipliers.

    Every parameter gets the multipliers of the *first* rule whose path
    pattern matches its full name (see :mod:`.path_rules`: component-wise
    prefix matching with shell wildcards, so ``'head'`` never matches
    ``...mlp.fc1``), else ``lr_mult = decay_mult = 1``. Parameters with the
    same settings share one param group (with keys ``lr``, ``weight_decay``,
    ``lr_mult``, ``decay_mult`` and ``rule``, the matched pattern or
    ``'default'``).

    Unlike mmengine's ``DefaultOptimWrapperConstructor`` with
    ``paramwise_cfg``, parameters with ``requires_grad=False`` are **kept**:
    a part frozen at build time (e.g. by ``FreezeUnfreezeHook``) starts
    training with its group's learning rate as soon as it is unfrozen.
    While frozen, their ``grad`` is None and torch optimizers (AdamW, SGD)
    skip them, weight decay included.

    Example::

        optim_wrapper = dict(
            type='OptimWrapper',
            optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2),
            constructor='medproto.PathParamwiseOptimWrapperConstructor',
            paramwise_cfg=dict(
                lr_mults=[('backbone.fusions.*.enhancement', 1.0),
                          ('backbone.fusions', 0.5),
                          ('backbone', 0.1),
                          ('head', 2.0)],
                flat_decay_mult=0.))

    Args:
        optim_wrapper_cfg (dict): Optimizer wrapper config with an
            ``optimizer`` entry (``lr`` required).
        paramwise_cfg (dict, optional): Keys:

            * ``lr_mults`` (list): rules ``(pattern, lr_mult)``,
              ``(pattern, lr_mult, decay_mult)`` or
              ``dict(pattern=..., lr_mult=..., decay_mult=...)``, first
              match wins. Defaults to :data:`DEFAULT_LR_MULTS`.
            * ``flat_decay_mult`` (float): extra weight-decay factor of
              parameters with ``ndim <= 1`` (biases, norms, scales).
              Defaults to None (no change).
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict) or \
                'optimizer' not in optim_wrapper_cfg:
            raise TypeError('optim_wrapper_cfg must be a dict with an '
                            f'"optimizer" entry, got {optim_wrapper_cfg!r}')
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)
        self.optimizer_cfg = dict(self.optim_wrapper_cfg.pop('optimizer'))
        if 'lr' not in self.optimizer_cfg:
            raise ValueError('the optimizer config needs a base "lr" for the '
                             'multipliers to scale')
        self.base_lr = self.optimizer_cfg['lr']
        self.base_wd = self.optimizer_cfg.get('weight_decay')
        paramwise_cfg = dict(paramwise_cfg or {})
        unknown = set(paramwise_cfg) - {'lr_mults', 'flat_decay_mult'}
        if unknown:
            raise ValueError(f'unknown paramwise_cfg keys {sorted(unknown)}; '
                             'expected "lr_mults" and "flat_decay_mult"')
        self.rules = self._parse_rules(
            paramwise_cfg.get('lr_mults', DEFAULT_LR_MULTS))
        self.flat_decay_mult = paramwise_cfg.get('flat_decay_mult')
        if self.flat_decay_mult is not None and self.flat_decay_mult < 0:
            raise ValueError('flat_decay_mult must be >= 0 or None, got '
                             f'{self.flat_decay_mult!r}')

    @staticmethod
    def _parse_rules(rules: Sequence[Rule]) -> List[dict]:
        """Normalise the rules to ``dict(pattern, lr_mult, decay_mult)``."""
        if isinstance(rules, (str, dict)) or not isinstance(rules, Sequence):
            raise TypeError('lr_mults must be a list of (pattern, lr_mult) '
                            f'rules, got {rules!r}')
        parsed = []
        for rule in rules:
            if isinstance(rule, dict):
                extra = set(rule) - {'pattern', 'lr_mult', 'decay_mult'}
                if 'pattern' not in rule or extra:
                    raise ValueError(
                        'a dict rule needs "pattern" and may have "lr_mult" '
                        f'and "decay_mult", got {rule!r}')
                item = {'lr_mult': 1., 'decay_mult': 1., **rule}
            elif isinstance(rule, (list, tuple)) and len(rule) in (2, 3):
                item = dict(
                    pattern=rule[0],
                    lr_mult=rule[1],
                    decay_mult=rule[2] if len(rule) == 3 else 1.)
            else:
                raise ValueError('each rule must be (pattern, lr_mult), '
                                 '(pattern, lr_mult, decay_mult) or a dict, '
                                 f'got {rule!r}')
            validate_pattern(item['pattern'])
            for key in ('lr_mult', 'decay_mult'):
                if not isinstance(item[key], (int, float)) or item[key] < 0:
                    raise ValueError(f'{key} must be a number >= 0, got '
                                     f'{item[key]!r} in rule {rule!r}')
            parsed.append(item)
        return parsed

    def param_groups(self, model: nn.Module) -> List[dict]:
        """Group all parameters of ``model`` (frozen ones included).

        Args:
            model (nn.Module): The model (DDP wrappers are unwrapped).

        Returns:
            list[dict]: Param groups for a torch optimizer.
        """
        if hasattr(model, 'module'):
            model = model.module
        patterns = [r['pattern'] for r in self.rules]
        groups: Dict[tuple, dict] = {}
        hits = [0] * len(self.rules)
        for name, param in model.named_parameters():
            idx = first_match(patterns, name)
            rule = self.rules[idx] if idx is not None else dict(
                pattern='default', lr_mult=1., decay_mult=1.)
            if idx is not None:
                hits[idx] += 1
            decay_mult = rule['decay_mult']
            flat = self.flat_decay_mult is not None and param.ndim <= 1
            if flat:
                decay_mult = decay_mult * self.flat_decay_mult
            key = (rule['pattern'], flat)
            if key not in groups:
                group = dict(
                    params=[],
                    lr=self.base_lr * rule['lr_mult'],
                    lr_mult=rule['lr_mult'],
                    decay_mult=decay_mult,
                    rule=rule['pattern'])
                if self.base_wd is not None:
                    group['weight_decay'] = self.base_wd * decay_mult
                groups[key] = group
            groups[key]['params'].append(param)
        for rule, n in zip(self.rules, hits):
            if n == 0:
                print_log(
                    f'lr_mults rule {rule["pattern"]!r} matches no parameter',
                    logger='current',
                    level=logging.WARNING)
        for group in groups.values():
            print_log(
                f'param group {group["rule"]!r}: {len(group["params"])} '
                f'tensors, lr={group["lr"]:g}, decay_mult='
                f'{group["decay_mult"]:g}',
                logger='current')
        return list(groups.values())

    def __call__(self, model: nn.Module) -> OptimWrapper:
        """Build the optimizer wrapper.

        Args:
            model (nn.Module): The model.

        Returns:
            OptimWrapper: The wrapper around the built optimizer.
        """
        optimizer_cfg = dict(self.optimizer_cfg)
        optimizer_cls = optimizer_cfg['type']
        if isinstance(optimizer_cls, str):
            with OPTIMIZERS.switch_scope_and_registry(None) as registry:
                optimizer_cls = registry.get(optimizer_cfg['type'])
        first_arg = next(iter(inspect.signature(optimizer_cls).parameters))
        optimizer_cfg[first_arg] = self.param_groups(model)
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = dict(self.optim_wrapper_cfg)
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(
            wrapper_cfg, default_args=dict(optimizer=optimizer))
