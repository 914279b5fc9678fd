# Copyright (c) medproto contributors. All rights reserved.
"""Change the length of a run and everything that follows it.

``tools/train.py --iters N`` / ``--epochs N`` call :func:`set_run_length`:
the training length, the learning-rate (parameter) schedules, the
validation and checkpoint intervals and the freeze period are scaled by the
same factor, so a short run is the shipped schedule compressed, not its
first N iterations. :class:`~medproto.engine.hooks.CurriculumDistillHook`
stages are fractions of the run and follow by themselves.

:func:`schedule_warnings` finds schedules that disagree with the run's
length (e.g. ``--cfg-options train_cfg.max_iters=40`` on a cosine schedule
of 3,000 iterations, whose learning rate then never decays).
"""
import math
from typing import List, MutableMapping, Optional

__all__ = ['is_epoch_based', 'set_run_length', 'schedule_warnings']

INF = float('inf')
_FREEZE_HOOKS = ('medproto.FreezeUnfreezeHook', 'FreezeUnfreezeHook')


def is_epoch_based(cfg: MutableMapping) -> bool:
    """Whether ``cfg.train_cfg`` describes an epoch-based loop.

    Args:
        cfg (MutableMapping): A loaded config.

    Returns:
        bool: True for ``by_epoch=True`` / ``EpochBasedTrainLoop``.
    """
    train_cfg = cfg.get('train_cfg') or {}
    loop = str(train_cfg.get('type', ''))
    if 'EpochBased' in loop or train_cfg.get('by_epoch', False):
        return True
    if 'IterBased' in loop or 'max_iters' in train_cfg:
        return False
    return 'max_epochs' in train_cfg


def _length(cfg: MutableMapping) -> int:
    """The configured run length in epochs or iterations."""
    train_cfg = cfg.get('train_cfg') or {}
    key = 'max_epochs' if is_epoch_based(cfg) else 'max_iters'
    value = train_cfg.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'train_cfg.{key} must be a positive int to scale '
                         f'the run, got {value!r}')
    return value


def _interval(value: int, factor: float, length: int) -> int:
    """An interval scaled by ``factor``, in [1, length]."""
    return min(max(int(round(value * factor)), 1), length)


def _scale_scheduler(sched: MutableMapping, factor: float, old_len: int,
                     new_len: int, keep_float: bool) -> None:
    """Scale ``begin``/``end``/``T_max``/``milestones``/``step_size``.

    ``end`` at or past the old length becomes the new length; ``T_max``
    equal to ``end - begin`` stays equal to it.
    """
    def conv(x):
        return x * factor if keep_float else int(round(x * factor))

    begin = sched.get('begin', 0)
    end = sched.get('end', INF)
    new_begin = conv(begin)
    if end == INF:
        new_end = INF
    elif end >= old_len:
        new_end = new_len
    else:
        new_end = min(max(conv(end), new_begin + (0 if keep_float else 1)),
                      new_len)
        if keep_float and new_end <= new_begin:
            new_end = new_begin + factor
    if 'begin' in sched:
        sched['begin'] = new_begin
    if 'end' in sched:
        sched['end'] = new_end
    if sched.get('T_max') is not None:
        if end != INF and sched['T_max'] == end - begin:
            sched['T_max'] = new_end - new_begin
        else:
            sched['T_max'] = max(conv(sched['T_max']), 1)
    if sched.get('milestones') is not None:
        sched['milestones'] = [conv(m) for m in sched['milestones']]
    if sched.get('step_size') is not None:
        sched['step_size'] = max(conv(sched['step_size']), 1)


def _schedulers(cfg: MutableMapping) -> List[MutableMapping]:
    scheds = cfg.get('param_scheduler') or []
    return [scheds] if isinstance(scheds, MutableMapping) else list(scheds)


def set_run_length(cfg: MutableMapping,
                   iters: Optional[int] = None,
                   epochs: Optional[int] = None) -> str:
    """Make ``cfg`` train for ``iters`` iterations or ``epochs`` epochs.

    * iteration-based config, ``iters``: ``max_iters``, iteration-based
      schedules, ``val_interval``, the checkpoint interval and an
      iteration-counted freeze period are scaled by ``iters / max_iters``;
    * epoch-based config, ``epochs``: the same, by ``epochs / max_epochs``;
    * epoch-based config, ``iters`` (a few iterations of a PBC config): the
      run becomes iteration-based, one epoch counting as
      ``iters / max_epochs`` iterations for schedules, intervals and the
      freeze period, so warm-up, cosine and freezing keep their shape.

    The logger interval is capped at a tenth of the run so a short run
    still logs. Curriculum stages are fractions of the run and need nothing.

    Args:
        cfg (MutableMapping): The config, changed in place.
        iters (int, optional): Training iterations.
        epochs (int, optional): Training epochs (epoch-based configs only).

    Returns:
        str: One line saying what changed, for the console.

    Raises:
        ValueError: Both or neither given, a value < 1, or ``epochs`` for an
            iteration-based config.
    """
    if (iters is None) == (epochs is None):
        raise ValueError('give one of --iters or --epochs')
    value = iters if iters is not None else epochs
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'--iters/--epochs must be an int >= 1, got '
                         f'{value!r}')
    epoch_based = is_epoch_based(cfg)
    if epochs is not None and not epoch_based:
        raise ValueError('--epochs: this config is iteration-based '
                         '(train_cfg.max_iters); use --iters N')
    old_len = _length(cfg)
    factor = value / old_len
    train_cfg = cfg['train_cfg']
    to_iter = epoch_based and iters is not None
    val_interval = train_cfg.get('val_interval', 1)
    if to_iter:
        cfg['train_cfg'] = dict(type='IterBasedTrainLoop', max_iters=iters,
                                val_interval=_interval(val_interval, factor,
                                                       iters))
        cfg['log_processor'] = dict(cfg.get('log_processor') or {},
                                    by_epoch=False)
        unit = 'iterations'
    else:
        key = 'max_epochs' if epoch_based else 'max_iters'
        train_cfg[key] = value
        train_cfg['val_interval'] = _interval(val_interval, factor, value)
        if cfg.get(key) is not None:  # the configs' own length variable
            cfg[key] = value
        unit = 'epochs' if epoch_based else 'iterations'
    for sched in _schedulers(cfg):
        by_epoch = sched.get('by_epoch', True)
        if by_epoch != epoch_based:
            continue
        keep_float = (by_epoch and not to_iter
                      and sched.get('convert_to_iter_based', False))
        _scale_scheduler(sched, factor, old_len, value, keep_float)
        if to_iter:
            sched['by_epoch'] = False
            sched.pop('convert_to_iter_based', None)
    hooks = cfg.get('default_hooks') or {}
    ckpt = hooks.get('checkpoint')
    if ckpt and ckpt.get('interval', -1) > 0:
        ckpt['interval'] = _interval(ckpt['interval'], factor, value)
        if to_iter:
            ckpt['by_epoch'] = False
    logger = hooks.get('logger')
    if logger:
        cap = max(1, value // 10) if not epoch_based or to_iter else None
        if cap is not None:
            logger['interval'] = min(logger.get('interval', 10), cap)
        if to_iter:
            logger['log_metric_by_epoch'] = False
    for hook in cfg.get('custom_hooks') or []:
        if hook.get('type') in _FREEZE_HOOKS and hook.get(
                'by_epoch', True) == epoch_based:
            freeze_for = hook.get('freeze_for', 1)
            if freeze_for > 0:  # 0 disables the hook; keep it so
                hook['freeze_for'] = max(1, int(round(freeze_for * factor)))
            if to_iter:
                hook['by_epoch'] = False
    return (f'run length: {value} {unit} instead of {old_len} '
            f'{"epochs" if epoch_based else "iterations"}; schedules, '
            f'validation and checkpoint intervals scaled by {factor:.3g}')


def schedule_warnings(cfg: MutableMapping) -> List[str]:
    """Parameter schedules that end after training does.

    Args:
        cfg (MutableMapping): A loaded config.

    Returns:
        list[str]: One sentence per scheduler whose ``end`` or ``T_max``
        lies past ``max_iters`` / ``max_epochs`` (its learning rate never
        reaches the end of its schedule).
    """
    try:
        length = _length(cfg)
    except ValueError:
        return []
    epoch_based = is_epoch_based(cfg)
    key = 'max_epochs' if epoch_based else 'max_iters'
    unit = 'epoch' if epoch_based else 'iteration'
    option = '--epochs' if epoch_based else '--iters'
    found = []
    for i, sched in enumerate(_schedulers(cfg)):
        if sched.get('by_epoch', True) != epoch_based:
            continue
        begin = sched.get('begin', 0)
        end = sched.get('end', INF)
        last = end if end != INF else begin + (sched.get('T_max') or 0)
        if math.isfinite(last) and last > length:
            found.append(
                f'param_scheduler[{i}] ({sched.get("type")}) runs to {unit} '
                f'{last:g} but training stops at {length} '
                f'(train_cfg.{key}): its schedule is cut short; '
                f'use {option} {length} to scale the schedule with the run')
    return found
