# Copyright (c) medproto contributors. All rights reserved.
"""Config paths: ``medproto::`` names a shipped config, a ``cfg_path`` is
found relative to the current directory and then to the config file that
writes it, and every miss is one sentence naming the places tried."""
import os.path as osp

import pytest
from mmengine.config import Config

import medproto  # noqa: F401  (medproto:: base paths)
from medproto.utils.cli import ConfigError, load_config
from medproto.utils.paths import (model_cfg_from_file, resolve_config_path,
                                  resolve_model_cfg_paths,
                                  shipped_config_dir)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEACHER = "model = dict(type='ImageClassifier', neck=dict(type='Teacher'))\n"


def test_shipped_config_dir_is_the_configs_folder():
    # a checkout (editable install or none) reads its own configs/ folder;
    # an installed wheel its copy in medproto/.mim/configs
    found = shipped_config_dir()
    assert osp.isfile(osp.join(found, 'maunet', 'maunet_kd_kvasir.py'))
    assert found in (osp.join(ROOT, 'configs'),
                     osp.join(osp.dirname(medproto.__file__), '.mim',
                              'configs'))


def test_scope_path_names_a_shipped_config():
    path = resolve_config_path('medproto::malunet/malunet_kvasir.py')
    assert path == osp.join(shipped_config_dir(), 'malunet',
                            'malunet_kvasir.py')
    with pytest.raises(FileNotFoundError, match='not a config shipped'):
        resolve_config_path('medproto::malunet/nope.py')


def test_relative_path_tries_cwd_then_the_naming_file(tmp_path, monkeypatch):
    (tmp_path / 'exp').mkdir()
    (tmp_path / 'exp' / 'teacher.py').write_text(TEACHER)
    (tmp_path / 'teacher.py').write_text(TEACHER.replace('Teacher', 'Cwd'))
    naming = str(tmp_path / 'exp' / 'kd.py')
    monkeypatch.chdir(tmp_path)
    # found from the current directory first ...
    assert resolve_config_path('teacher.py', naming) == 'teacher.py'
    (tmp_path / 'teacher.py').unlink()
    # ... then beside the config file that names it
    assert resolve_config_path('teacher.py', naming) == str(
        tmp_path / 'exp' / 'teacher.py')
    with pytest.raises(FileNotFoundError) as err:
        resolve_config_path('other.py', naming, key='cfg_path')
    assert str(err.value).count('other.py') == 3  # the name, two places


def test_model_cfg_from_file_merges_overrides(tmp_path):
    (tmp_path / 'teacher.py').write_text(TEACHER)
    model = model_cfg_from_file(
        dict(cfg_path='teacher.py', neck=dict(extra=1)),
        relative_to=str(tmp_path / 'kd.py'))
    assert model == dict(type='ImageClassifier',
                         neck=dict(type='Teacher', extra=1))
    teacher = model_cfg_from_file(
        dict(cfg_path='medproto::malunet/malunet_kvasir.py'))
    assert teacher['backbone']['type'] == 'MALUNet'


def _write_experiment(folder):
    """A base in `folder/bases` naming a teacher beside itself, and an
    experiment in `folder` inheriting it."""
    (folder / 'bases').mkdir()
    (folder / 'bases' / 'teacher.py').write_text(TEACHER)
    (folder / 'bases' / 'pair.py').write_text(
        "model = dict(type='medproto.SingleTeacherDistiller',\n"
        "             teacher=dict(cfg_path='teacher.py'),\n"
        "             student=dict(cfg_path='medproto::malunet/"
        "malunet_kvasir.py'))\n")
    (folder / 'exp.py').write_text("_base_ = ['./bases/pair.py']\n")


def test_cfg_path_is_taken_relative_to_the_file_that_writes_it(
        tmp_path, monkeypatch):
    _write_experiment(tmp_path)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = resolve_model_cfg_paths(Config.fromfile(str(tmp_path / 'exp.py')))
    # the base that writes 'teacher.py' is in bases/, not beside exp.py
    assert cfg.model.teacher.cfg_path == str(tmp_path / 'bases' /
                                             'teacher.py')
    # scope paths are left for the distiller to resolve
    assert cfg.model.student.cfg_path == 'medproto::malunet/malunet_kvasir.py'
    # the tools' loader does the same
    loaded = load_config(str(tmp_path / 'exp.py'))
    assert loaded.model.teacher.cfg_path == cfg.model.teacher.cfg_path


def test_missing_cfg_path_is_one_config_error(tmp_path, monkeypatch):
    _write_experiment(tmp_path)
    (tmp_path / 'bases' / 'teacher.py').unlink()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"cfg_path: config file "
                       r"'teacher.py' not found \(tried "):
        load_config(str(tmp_path / 'exp.py'))
    with pytest.raises(ConfigError, match='not a config shipped'):
        load_config('medproto::maunet/nope.py')
