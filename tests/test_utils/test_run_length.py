# Copyright (c) medproto contributors. All rights reserved.
"""--iters / --epochs: the schedule follows the run's length."""
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.optim.scheduler import CosineAnnealingLR, LinearLR

from medproto.utils.run_length import (is_epoch_based, schedule_warnings,
                                       set_run_length)

SEG = 'configs/maunet/maunet_kd_kvasir.py'
PBC = 'configs/pbc/dual_nano_proto5_difflr_freeze_lt100.py'


def _lr_after(sched_cfg: dict, steps: int) -> float:
    """The learning rate after ``steps`` scheduler steps, from mmengine."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    cfg = {k: v for k, v in sched_cfg.items() if k != 'type'}
    sched = CosineAnnealingLR(opt, **cfg)
    for _ in range(steps):
        opt.step()
        sched.step()
    return opt.param_groups[0]['lr']


def test_iters_scales_the_seg_schedule_and_intervals():
    cfg = Config.fromfile(SEG)
    assert not is_epoch_based(cfg)
    old = cfg.train_cfg.max_iters
    old_val = cfg.train_cfg.val_interval
    message = set_run_length(cfg, iters=60)
    assert f'60 iterations instead of {old}' in message
    sched = cfg.param_scheduler[0]
    assert cfg.train_cfg.max_iters == 60
    assert sched.end == 60 and sched.T_max == 60
    assert cfg.train_cfg.val_interval == round(old_val * 60 / old)
    assert 1 <= cfg.default_hooks.checkpoint.interval <= 60
    # the learning rate follows the cosine of the short run down to eta_min
    closed_form = sched.eta_min + (1e-3 - sched.eta_min) * (
        1 + math.cos(math.pi * 59 / 60)) / 2
    assert _lr_after(sched, 60) == pytest.approx(closed_form, rel=1e-6)
    assert _lr_after(sched, 60) < 1.1 * sched.eta_min
    assert schedule_warnings(cfg) == []


def test_max_iters_alone_is_warned_about():
    cfg = Config.fromfile(SEG)
    cfg.merge_from_dict({'train_cfg.max_iters': 40})
    warnings = schedule_warnings(cfg)
    assert len(warnings) == 1
    assert 'runs to iteration 3000 but training stops at 40' in warnings[0]
    assert '--iters 40' in warnings[0]
    # and the LR after 40 steps is still near its start: what it warns about
    assert _lr_after(cfg.param_scheduler[0], 40) > 0.99e-3


def test_iters_on_an_epoch_based_config_becomes_iteration_based():
    cfg = Config.fromfile(PBC)
    assert is_epoch_based(cfg)
    max_epochs = cfg.train_cfg.max_epochs
    set_run_length(cfg, iters=12)
    per_epoch = 12 / max_epochs
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=12,
                                 val_interval=round(2 * per_epoch))
    warmup, cosine = cfg.param_scheduler
    assert not warmup.by_epoch and not cosine.by_epoch
    assert 'convert_to_iter_based' not in cosine
    assert (warmup.begin, warmup.end) == (0, round(per_epoch))
    assert (cosine.begin, cosine.end) == (round(per_epoch), 12)
    assert cosine.T_max == cosine.end - cosine.begin
    assert cfg.default_hooks.checkpoint.by_epoch is False
    assert cfg.log_processor.by_epoch is False
    freeze = [h for h in cfg.custom_hooks
              if h.type.endswith('FreezeUnfreezeHook')]
    assert freeze and all(h.by_epoch is False for h in freeze)
    # the schedulers build and the warm-up reaches the base LR
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    lin = LinearLR(opt, **{k: v for k, v in warmup.items() if k != 'type'})
    for _ in range(warmup.end):
        opt.step()
        lin.step()
    assert opt.param_groups[0]['lr'] == pytest.approx(1e-3)


def test_epochs_keeps_fractional_converted_epochs():
    cfg = Config.fromfile(PBC)
    set_run_length(cfg, epochs=2)
    assert cfg.train_cfg.max_epochs == 2
    warmup, cosine = cfg.param_scheduler
    assert cosine.end == 2 and warmup.end == pytest.approx(2 / 6)
    assert math.isclose(cosine.T_max, cosine.end - cosine.begin)


@pytest.mark.parametrize('kwargs, message', [
    (dict(epochs=3), 'iteration-based'),
    (dict(iters=0), 'int >= 1'),
    (dict(), 'one of --iters or --epochs'),
    (dict(iters=2, epochs=2), 'one of --iters or --epochs'),
])
def test_bad_run_lengths(kwargs, message):
    with pytest.raises(ValueError, match=message):
        set_run_length(Config.fromfile(SEG), **kwargs)
