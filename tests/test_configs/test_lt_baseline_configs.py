# Copyright (c) medproto contributors. All rights reserved.
"""The long-tail baseline configs (configs/pbc/baselines/) and their grid:
each trains on the shipped blood-cell images through mmengine's Runner, cRT
from a stage-1 checkpoint of the CE config."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from medproto.utils.ablation_grid import load_grid

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASELINES = osp.join(ROOT, 'configs', 'pbc', 'baselines')
SAMPLE = osp.join(ROOT, 'tests', 'data', 'pbc_blood_cells')
ROWS = ('ce', 'cbce', 'la', 'balsoftmax', 'ldam_drw', 'crt')
LOSSES = dict(ce='CrossEntropyLoss', cbce='ClassBalancedCrossEntropyLoss',
              la='LogitAdjustedCrossEntropyLoss',
              balsoftmax='BalancedSoftmaxLoss', ldam_drw='LDAMLoss',
              crt='CrossEntropyLoss')
COUNTS = {100: [850, 440, 228, 118, 61, 31, 16, 8],
          10: [850, 611, 440, 316, 228, 164, 118, 85]}


def load(row: str, factor: int) -> Config:
    return Config.fromfile(osp.join(BASELINES, f'{row}_lt{factor}.py'))


def tiny(cfg: Config, work_dir: str, max_epochs: int = 1) -> Config:
    """``cfg`` on the 3-class blood-cell sample (13 training images at
    imbalance 2, batch 4), no validation."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    loader = cfg.train_dataloader
    loader.update(batch_size=4, num_workers=0, persistent_workers=False)
    loader.dataset.update(data_root=SAMPLE, data_prefix='',
                          imbalance_factor=2)
    for part in ('val', 'test'):
        for key in (f'{part}_dataloader', f'{part}_cfg', f'{part}_evaluator'):
            cfg[key] = None
    cfg.train_cfg.update(max_epochs=max_epochs, val_interval=100)
    cfg.default_hooks.checkpoint.save_best = None
    cfg.default_hooks.logger.interval = 1
    return cfg


def _train(cfg: Config) -> Runner:
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


@pytest.mark.parametrize('factor', [100, 10])
@pytest.mark.parametrize('row', ROWS)
def test_config_terms(row, factor):
    cfg = load(row, factor)
    head = cfg.model.head
    assert head.loss.type == LOSSES[row]
    counts = head.loss.get('class_counts', head.get('class_counts'))
    assert counts == COUNTS[factor]
    assert cfg.train_dataloader.dataset.imbalance_factor == factor
    assert cfg.val_evaluator.class_counts == COUNTS[factor]
    assert cfg.val_evaluator.get('split_by', 'count') == (
        'rank' if factor == 10 else 'count')
    if row == 'crt':
        assert cfg.train_dataloader.sampler.type == 'ClassBalancedSampler'
        hooks = {h.type: h for h in cfg.custom_hooks}
        assert hooks['medproto.ClassifierRetrainHook'].checkpoint == (
            f'work_dirs/ablations/cls_lt_baselines/ce_lt{factor}/'
            'seed{seed}/best_*.pth')
        assert hooks['medproto.FreezeUnfreezeHook'].freeze_for == \
            cfg.train_cfg.max_epochs
    else:
        assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
        assert cfg.train_cfg.max_epochs == 6


@pytest.mark.parametrize('factor', [100, 10])
def test_ce_and_cbce_train_as_the_existing_linear_configs(factor):
    """The baselines' CE / CB-CE rows are configs/pbc/dual_nano_linear*
    with the post-hoc head (training identical, LinearClsHead's keys)."""
    for row, old in (('ce', 'linear'), ('cbce', 'linear_cb')):
        new = load(row, factor).to_dict()
        ref = Config.fromfile(osp.join(
            ROOT, 'configs', 'pbc',
            f'dual_nano_{old}_lt{factor}.py')).to_dict()
        head, ref_head = new['model'].pop('head'), ref['model'].pop('head')
        assert head.pop('type') == 'PostHocLinearClsHead'
        assert head.pop('class_counts') == COUNTS[factor]
        ref_head.pop('type')
        assert head == ref_head
        for key in ('model', 'train_dataloader', 'optim_wrapper',
                    'param_scheduler', 'train_cfg', 'val_evaluator'):
            assert new[key] == ref[key], (row, key)


@pytest.mark.parametrize('row', ['ce', 'cbce', 'la', 'balsoftmax'])
def test_linear_baselines_train_a_step(row, tmp_path):
    runner = _train(tiny(load(row, 100), str(tmp_path)))
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.tensor(loss))
    assert osp.isfile(tmp_path / 'epoch_1.pth')


def test_ldam_drw_switches_on_in_the_runner(tmp_path):
    """The loss reads the epoch the RuntimeInfoHook writes: with
    drw_start=1 the second epoch is re-weighted."""
    cfg = tiny(load('ldam_drw', 10), str(tmp_path), max_epochs=2)
    cfg.model.head.loss.drw_start = 1
    runner = _train(cfg)
    assert runner.model.head.loss_module.drw_active()
    assert runner.model.head.loss_module._announced


@pytest.mark.parametrize('factor', [100, 10])
def test_crt_retrains_only_the_classifier(factor, tmp_path):
    stage1 = _train(tiny(load('ce', factor), str(tmp_path / 'seed5')))
    state1 = {k: v.clone() for k, v in stage1.model.state_dict().items()}
    cfg = tiny(load('crt', factor), str(tmp_path / 'crt'))
    cfg.randomness.seed = 5
    hook = next(h for h in cfg.custom_hooks
                if h.type == 'medproto.ClassifierRetrainHook')
    hook.checkpoint = str(tmp_path / 'seed{seed}' / 'epoch_*.pth')
    runner = _train(cfg)
    assert type(runner.train_dataloader.sampler).__name__ == \
        'ClassBalancedSampler'
    state2 = runner.model.state_dict()
    for name, value in state1.items():
        if name.startswith('backbone.'):
            torch.testing.assert_close(state2[name], value, msg=name)
    assert not torch.allclose(state2['head.fc.weight'],
                              state1['head.fc.weight'])
    assert all(p.requires_grad for p in runner.model.parameters())


def test_every_baseline_config_is_in_the_grid():
    grid = load_grid(osp.join(ROOT, 'configs', 'ablations',
                              'cls_lt_baselines.py'))
    used = {osp.relpath(e.config, ROOT) for e in grid.entries}
    shipped = {osp.relpath(p, ROOT)
               for p in glob.glob(osp.join(BASELINES, '*.py'))}
    # la_lt* (tau = 1) equals balsoftmax_lt*; the grid runs it once.
    aliases = {osp.join('configs', 'pbc', 'baselines', f'la_lt{f}.py')
               for f in (100, 10)}
    assert shipped - aliases <= used
    assert not aliases & used
    labels = [e.label for e in grid.entries]
    for factor in (100, 10):
        assert labels.index(f'crt_lt{factor}') > labels.index(
            f'ce_lt{factor}')
        assert f'proto10_lt{factor}' in labels
    # the prototype-head variants, in this order, after the baselines
    variants = ['proto10_balsoftmax_lt100', 'proto10_softpool_lt100',
                'proto10_sinkhorn_lt100']
    assert labels[-len(variants):] == variants
    assert grid.seeds == [42, 7, 0]
    assert {'top1', 'mean_recall', 'few_recall'} <= set(grid.metrics)
