# Copyright (c) medproto contributors. All rights reserved.
"""prepare_cfg: what tools/train.py adds to every config."""
import os.path as osp

import pytest
from mmengine.config import Config

from medproto.utils.setup_env import prepare_cfg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CACHED = osp.join(REPO, 'configs', 'maunet', 'maunet_kd_lite0_cached_kvasir.py')


def loader_of(cfg: Config) -> dict:
    return next(t for t in cfg.train_dataloader.dataset.pipeline
                if t['type'] == 'LoadTeacherOutputs')


def test_imports_and_safe_hooks_are_added():
    cfg = prepare_cfg(Config(dict(custom_hooks=[])))
    assert cfg.custom_imports['imports'][0] == 'medproto'
    types = [h['type'] for h in cfg.custom_hooks]
    assert 'medproto.SafeCheckpointHook' in types


@pytest.mark.parametrize('given', ['elsewhere/cache', dict(path='x/cache')])
def test_the_output_loader_reads_the_models_teacher_cache(given):
    cfg = Config.fromfile(CACHED)
    assert loader_of(cfg)['cache'] == cfg.model.teacher_cache  # as shipped
    cfg.model.teacher_cache = given  # as --cfg-options gives it
    prepare_cfg(cfg)
    folder = given['path'] if isinstance(given, dict) else given
    assert loader_of(cfg)['cache'] == folder


def test_configs_without_a_loader_or_cache_are_left_alone():
    cfg = Config.fromfile(CACHED)
    cfg.model.teacher_cache = None
    prepare_cfg(cfg)
    assert loader_of(cfg)['cache'] == 'work_dirs/teacher_cache/lite0_kvasir_k8'
    plain = Config(dict(model=dict(teacher_cache='c'),
                        train_dataloader=dict(dataset=dict(type='X'))))
    prepare_cfg(plain)  # no pipeline: nothing to point
    assert plain.train_dataloader.dataset == dict(type='X')
