# Copyright (c) medproto contributors. All rights reserved.
"""Every shipped config loads, and every ``type`` of its model resolves in
the registry of the config's default scope (a renamed class or a typo in a
rarely run ablation config fails here, not an hour into someone's run)."""
import glob
import os.path as osp
from typing import Any, Iterator, Tuple

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS

import medproto  # noqa: F401  (compat layer, registries)
from medproto.utils.paths import SCOPE_PREFIX, resolve_config_path

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    osp.relpath(path, ROOT)
    for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                          recursive=True)
    if f'{osp.sep}_base_{osp.sep}' not in path
    and osp.dirname(path) != osp.join(ROOT, 'configs', 'ablations'))


def _types(node: Any, path: str) -> Iterator[Tuple[str, str]]:
    """``(key path, type name)`` of every dict with a ``type`` under node,
    weight-init specs left out (they have their own registry)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'init_cfg':
                continue
            if key == 'type' and isinstance(value, str):
                yield path, value
            else:
                yield from _types(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _types(value, f'{path}.{i}')


@pytest.fixture(scope='module', autouse=True)
def _register_all():
    import mmpretrain.models  # noqa: F401
    import mmseg.models  # noqa: F401

    import medproto.distill  # noqa: F401
    import medproto.models  # noqa: F401


def test_configs_are_found():
    assert len(CONFIGS) > 50
    assert 'configs/maunet/maunet_kd_kvasir.py' in CONFIGS
    assert 'configs/maunet/ablations/maunet_kd_only_kvasir.py' in CONFIGS


@pytest.mark.parametrize('name', CONFIGS)
def test_config_loads_and_its_model_types_resolve(name):
    cfg = Config.fromfile(osp.join(ROOT, name))
    assert 'model' in cfg, f'{name} defines no model'
    scope = cfg.get('default_scope', 'mmengine')
    found = list(_types(cfg.model, 'model'))
    assert found, f'{name}: no model type'
    with MODELS.switch_scope_and_registry(scope) as registry:
        missing = [(path, name_) for path, name_ in found
                   if registry.get(name_) is None]
    assert not missing, f'{name} (scope {scope}): unknown types {missing}'
    for role in ('teacher', 'student'):
        ref = cfg.model.get(role)
        if isinstance(ref, dict) and 'cfg_path' in ref:
            # a shipped config names another one by scope, found anywhere
            assert ref['cfg_path'].startswith(SCOPE_PREFIX), name
            assert osp.isfile(resolve_config_path(ref['cfg_path'])), name


def test_an_unknown_type_is_caught():
    """The check above is not vacuous: a misspelt type does not resolve."""
    with MODELS.switch_scope_and_registry('mmseg') as registry:
        assert registry.get('MAUNet') is not None
        assert registry.get('MAUNett') is None


CACHED = [name for name in CONFIGS if name.endswith('_cached_kvasir.py')]


@pytest.mark.parametrize('name', CACHED)
def test_cached_configs_read_their_cache_in_the_data_loader(name):
    """Every cached config ends its train pipeline with LoadTeacherOutputs
    reading the folder of its model.teacher_cache, and checks the cache
    with TeacherCacheHook."""
    cfg = Config.fromfile(osp.join(ROOT, name))
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert pipeline[-1]['type'] == 'LoadTeacherOutputs', name
    assert pipeline[-2]['type'] == 'PackSegInputs', name
    assert pipeline[-1]['cache'] == cfg.model.teacher_cache, name
    assert any(h['type'] == 'medproto.TeacherCacheHook'
               for h in cfg.custom_hooks), name


def test_every_cached_config_is_found():
    assert len(CACHED) == 6
