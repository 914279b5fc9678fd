# Copyright (c) medproto contributors. All rights reserved.
import pytest
from mmengine.config import Config

from medproto.utils.cfg_options import check_cfg_options
from medproto.utils.cli import ConfigError

_CFG = dict(
    max_iters=3000,
    train_cfg=dict(type='IterBasedTrainLoop', max_iters=3000, val_interval=500),
    param_scheduler=[dict(type='CosineAnnealingLR', T_max=3000, end=3000)],
    default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=500)),
    work_dir='w')


@pytest.fixture
def cfg():
    return Config(_CFG)


@pytest.mark.parametrize('key,suggestion', [
    ('train_cfg.max_iter', 'train_cfg.max_iters'),
    ('default_hooks.checkpoint.intervall', 'default_hooks.checkpoint.interval'),
    ('train_cgf.max_iters', 'train_cfg'),
])
def test_misspelt_keys_name_the_close_match(cfg, key, suggestion):
    with pytest.raises(ConfigError, match=f"did you mean '{suggestion}'"):
        check_cfg_options(cfg, {key: 4})


def test_valid_and_new_keys_pass(cfg):
    opts = {'train_cfg.max_iters': 4, 'param_scheduler.0.T_max': 4,
            'default_hooks.checkpoint.save_best': 'Dice', 'work_dir': 'x'}
    assert check_cfg_options(cfg, opts) == []


def test_bad_list_index_and_missing_branch(cfg):
    with pytest.raises(ConfigError, match=r"'param_scheduler' is a list of 1"):
        check_cfg_options(cfg, {'param_scheduler.2.T_max': 4})
    with pytest.raises(ConfigError, match=r"no key 'xyz' in 'default_hooks'"):
        check_cfg_options(cfg, {'default_hooks.xyz.interval': 4})


def test_a_used_top_level_variable_is_reported(cfg):
    warnings = check_cfg_options(cfg, {'max_iters': 4})
    assert len(warnings) == 1
    assert 'max_iters' in warnings[0] and 'already used' in warnings[0]
    assert 'train_cfg.max_iters=...' in warnings[0]
    assert 'param_scheduler.0.T_max=...' in warnings[0]


def test_warnings_come_before_the_error(cfg):
    """Every warning reaches ``warn`` before a misspelt key raises, and
    options in any order give the same."""
    for opts in ({'max_iters': 2, 'train_cfg.max_iter': 2},
                 {'train_cfg.max_iter': 2, 'max_iters': 2}):
        seen = []
        with pytest.raises(ConfigError, match="did you mean"):
            check_cfg_options(cfg, opts, warn=seen.append)
        assert len(seen) == 1 and "'max_iters' is a variable" in seen[0]
