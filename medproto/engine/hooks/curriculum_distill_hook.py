# Copyright (c) medproto contributors. All rights reserved.
"""Switch distillation losses on and off by training progress."""
import math
from numbers import Real
from typing import Dict, List, Mapping, Optional, Sequence, Union

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from medproto.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]
RAMP_TYPES = ('cosine', 'linear', 'constant')
RAMP_DIRECTIONS = ('rise', 'fall')


def ramp_value(ramp: Mapping[str, str], ratio: float) -> float:
    """Value of a ramp at ``ratio`` in [0, 1] of its stage.

    ``cosine`` rising is ``0.5 * (1 - cos(pi * ratio))`` (0 -> 1), falling is
    ``0.5 * (1 + cos(pi * ratio))`` (1 -> 0); ``linear`` is ``ratio`` /
    ``1 - ratio``; ``constant`` is 1.

    Args:
        ramp (Mapping[str, str]): ``dict(type=..., direction=...)``.
        ratio (float): Position inside the stage.

    Returns:
        float: The scale in [0, 1].
    """
    if ramp['type'] == 'constant':
        return 1.0
    if ramp['type'] == 'cosine':
        rise = 0.5 * (1.0 - math.cos(math.pi * ratio))
    else:
        rise = ratio
    return rise if ramp['direction'] == 'rise' else 1.0 - rise


@HOOKS.register_module()
class CurriculumDistillHook(Hook):
    """Stage-wise distillation curriculum keyed on training progress.

    Progress is ``runner.iter / runner.max_iters``; both are known under
    iteration- and epoch-based loops, so the same config works for either.
    Stage ``k`` ends at ``end_k`` (a fraction of training) and covers the
    iterations ``floor(end_{k-1} * max_iters) <= iter <
    floor(end_k * max_iters)``: with ``end=0.6`` the next stage starts at
    exactly iteration ``floor(0.6 * max_iters)`` (0-based, as
    ``runner.iter`` counts finished iterations).

    Before every training iteration the hook sets ``loss_scales`` of the
    distiller for *every* distillation loss: 0 for losses not in the
    active stage, 1 for active ones, or the value of the loss's ramp. A
    ramp runs over the stage, with ``t`` the iterations since the stage's
    start and ``T`` its length; the cosine ramp rising from 0 to 1 is
    ``w(t) = 0.5 * (1 - cos(pi * t / T))``. The scales are a pure function
    of ``runner.iter``, so a resumed run continues in the right stage.

    Logging: the active stage index is logged as ``train/curriculum_stage``
    and the scale of every active loss as ``train/scale_<loss name>``, both
    at their current value (not a window average; the hook registers them in
    the runner's ``log_processor.custom_cfg``). A loss that is off is not
    logged (neither its value nor its scale) until a stage turns it on.

    Priority ``'NORMAL'`` (50): the scales are written in
    ``before_train_iter`` before hooks of a lower priority (``'BELOW_NORMAL'``
    and below, or a number above 50) run, so a user hook that reads or
    rescales ``loss_scales`` should have such a priority.

    Every distillation loss of the distiller must be named by a stage or by
    ``always``: a loss no stage names would never be trained, and is an
    error at the start of training.

    Args:
        stages (Sequence[dict]): Stages in order, each
            ``dict(name=str, end=float, losses=[...], ramp=dict(...))``.
            ``end`` is in (0, 1] and increasing; the last stage ends at 1.0
            (its ``end`` may be omitted). ``ramp`` maps a loss of the stage
            to ``'cosine'`` / ``'linear'`` / ``'constant'`` (rising) or to
            ``dict(type=..., direction='rise' | 'fall')``.
        always (Sequence[str]): Losses on (scale 1) in every stage, e.g. a
            loss a child config adds without changing the stages.

    Example:
        >>> custom_hooks = [dict(
        ...     type='medproto.CurriculumDistillHook',
        ...     stages=[
        ...         dict(name='imitation', end=0.6,
        ...              losses=['loss_kd', 'loss_feat'],
        ...              ramp=dict(loss_kd='cosine')),
        ...         dict(name='preference', losses=['loss_nce', 'loss_l2'])])]
    """

    priority = 'NORMAL'

    def __init__(self, stages: Sequence[dict],
                 always: Sequence[str] = ()) -> None:
        self.stages = self._check_stages(stages)
        if isinstance(always, str) or not all(
                isinstance(n, str) for n in always):
            raise ValueError(f'always must be a list of loss names, got '
                             f'{always!r}')
        staged = {n for s in self.stages for n in s['losses']}
        twice = sorted(staged & set(always))
        if twice:
            raise ValueError(f'losses {twice} are both in always and in a '
                             'stage: name them in one place')
        self.always = list(always)
        self._current: Optional[int] = None

    # ---------------------------------------------------------- validation
    @staticmethod
    def _check_stages(stages: Sequence[dict]) -> List[dict]:
        if not isinstance(stages, (list, tuple)) or not stages:
            raise ValueError('stages must be a non-empty list of dicts, got '
                             f'{stages!r}')
        checked, previous_end, names = [], 0.0, set()
        for i, stage in enumerate(stages):
            if not isinstance(stage, Mapping):
                raise TypeError(f'stage {i} must be a dict, got '
                                f'{type(stage).__name__}')
            extra = set(stage) - {'name', 'end', 'losses', 'ramp'}
            if extra:
                raise ValueError(f'stage {i}: unknown keys {sorted(extra)}; '
                                 "allowed: 'name', 'end', 'losses', 'ramp'")
            name = stage.get('name', f'stage{i}')
            if not isinstance(name, str) or name in names:
                raise ValueError(f'stage {i}: name must be a unique string, '
                                 f'got {name!r}')
            names.add(name)
            is_last = i == len(stages) - 1
            end = stage.get('end', 1.0 if is_last else None)
            if (isinstance(end, bool) or not isinstance(end, Real)
                    or not previous_end < end <= 1.0):
                raise ValueError(
                    f'stage {name!r}: end must be a number in '
                    f'({previous_end}, 1.0] (ends increase), got {end!r}')
            if is_last and end != 1.0:
                raise ValueError(f'the last stage {name!r} must end at 1.0, '
                                 f'got {end}')
            losses = stage.get('losses', [])
            if not isinstance(losses, (list, tuple)) or not all(
                    isinstance(n, str) for n in losses):
                raise ValueError(f'stage {name!r}: losses must be a list of '
                                 f'loss names, got {losses!r}')
            ramps = {}
            for loss, ramp in (stage.get('ramp') or {}).items():
                if loss not in losses:
                    raise ValueError(f'stage {name!r}: ramp for {loss!r}, '
                                     f'which is not among its losses {losses}')
                ramps[loss] = _check_ramp(ramp, f'stage {name!r} ramp of '
                                          f'{loss!r}')
            checked.append(dict(name=name, end=float(end),
                                losses=list(losses), ramp=ramps))
            previous_end = float(end)
        return checked

    def _check_losses(self, model) -> None:
        if not isinstance(getattr(model, 'loss_scales', None), dict):
            raise TypeError('CurriculumDistillHook needs a distiller with a '
                            f'loss_scales dict, got {type(model).__name__}')
        known = list(model.loss_scales)
        for stage in self.stages:
            unknown = [n for n in stage['losses'] if n not in known]
            if unknown:
                raise ValueError(
                    f'curriculum stage {stage["name"]!r} names unknown '
                    f'distill loss(es) {unknown}; the distiller has {known}')
        unknown = [n for n in self.always if n not in known]
        if unknown:
            raise ValueError(f'CurriculumDistillHook always= names unknown '
                             f'distill loss(es) {unknown}; the distiller '
                             f'has {known}')
        staged = {n for s in self.stages for n in s['losses']} | set(
            self.always)
        never = [n for n in known if n not in staged]
        if never:
            from medproto.utils.cli import ConfigError
            raise ConfigError(
                f'distill loss(es) {never} are in no curriculum stage and '
                f'would never be trained: add them to the losses of a stage '
                f'of CurriculumDistillHook (custom_hooks) or to its '
                f'always=[...] (see docs/tutorials/custom_distiller.md)')

    # ---------------------------------------------------------- schedule
    def boundaries(self, max_iters: int) -> List[int]:
        """The first iteration after each stage, ``floor(end * max_iters)``.

        Args:
            max_iters (int): Total training iterations.

        Returns:
            list[int]: One boundary per stage; the last is ``max_iters``.
        """
        # The tolerance keeps e.g. 0.6 * 10 = 6.000000000000001 at 6.
        return [int(math.floor(s['end'] * max_iters + 1e-9))
                for s in self.stages]

    def stage_index(self, cur_iter: int, max_iters: int) -> int:
        """Index of the stage that iteration ``cur_iter`` (0-based) is in.

        Args:
            cur_iter (int): Finished iterations (``runner.iter``).
            max_iters (int): Total training iterations.

        Returns:
            int: Stage index.
        """
        for i, boundary in enumerate(self.boundaries(max_iters)):
            if cur_iter < boundary:
                return i
        return len(self.stages) - 1

    def scales(self, cur_iter: int, max_iters: int,
               loss_names: Sequence[str]) -> Dict[str, float]:
        """Scale of every loss at iteration ``cur_iter``.

        Args:
            cur_iter (int): Finished iterations (``runner.iter``).
            max_iters (int): Total training iterations.
            loss_names (Sequence[str]): All distillation losses.

        Returns:
            dict[str, float]: Loss name -> scale.
        """
        index = self.stage_index(cur_iter, max_iters)
        stage = self.stages[index]
        bounds = [0] + self.boundaries(max_iters)
        start, stop = bounds[index], bounds[index + 1]
        ratio = (cur_iter - start) / max(stop - start, 1)
        ratio = min(max(ratio, 0.0), 1.0)
        return {
            name: (ramp_value(stage['ramp'][name], ratio)
                   if name in stage['ramp'] else 1.0)
            if name in stage['losses'] else
            (1.0 if name in self.always else 0.0)
            for name in loss_names
        }

    # ---------------------------------------------------------- hooks
    @staticmethod
    def _distiller(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        """Check the loss names against the distiller; log the scales at
        their current value."""
        distiller = self._distiller(runner)
        self._check_losses(distiller)
        self._log_current(runner, ['curriculum_stage'] + [
            f'scale_{name}' for name in distiller.loss_scales])

    @staticmethod
    def _log_current(runner, keys: Sequence[str]) -> None:
        """Make the log processor show ``keys`` at their current value
        (mmengine averages every key with 'loss' in its name)."""
        processor = getattr(runner, 'log_processor', None)
        if processor is None:
            return
        custom = list(processor.custom_cfg or [])
        names = {c.get('log_name', c.get('data_src')) for c in custom}
        custom += [dict(data_src=k, method_name='current') for k in keys
                   if k not in names]
        processor.custom_cfg = custom

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        """Set the distiller's loss scales for this iteration."""
        distiller = self._distiller(runner)
        scales = self.scales(runner.iter, runner.max_iters,
                             list(distiller.loss_scales))
        distiller.loss_scales.update(scales)
        index = self.stage_index(runner.iter, runner.max_iters)
        if index != self._current:
            runner.logger.info(
                f'curriculum: stage {index} ({self.stages[index]["name"]!r}) '
                f'from iteration {runner.iter}: losses '
                f'{self.stages[index]["losses"]}')
            self._current = index
        hub = runner.message_hub
        hub.update_scalar('train/curriculum_stage', index)
        for name, value in scales.items():
            if value > 0:
                hub.update_scalar(f'train/scale_{name}', value)
            else:  # off: no stale value in the log
                hub.log_scalars.pop(f'train/scale_{name}', None)
                hub.log_scalars.pop(f'train/{name}', None)


def _check_ramp(ramp: Union[str, Mapping], owner: str) -> Dict[str, str]:
    """Normalise ``'cosine'`` or ``dict(type=..., direction=...)``."""
    if isinstance(ramp, str):
        ramp = dict(type=ramp)
    if not isinstance(ramp, Mapping) or set(ramp) - {'type', 'direction'}:
        raise ValueError(f"{owner}: expected a ramp name or dict(type=..., "
                         f"direction=...), got {ramp!r}")
    ramp = dict(type=ramp.get('type'), direction=ramp.get('direction',
                                                          'rise'))
    if ramp['type'] not in RAMP_TYPES:
        raise ValueError(f'{owner}: type must be one of {RAMP_TYPES}, got '
                         f'{ramp["type"]!r}')
    if ramp['direction'] not in RAMP_DIRECTIONS:
        raise ValueError(f'{owner}: direction must be one of '
                         f'{RAMP_DIRECTIONS}, got {ramp["direction"]!r}')
    return ramp
