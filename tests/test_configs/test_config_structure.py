# Copyright (c) medproto contributors. All rights reserved.
"""The shape of the shipped configs: at most three levels of ``_base_``,
one style of base reference, and each distillation method config placing
its own terms (the file name says which) from configs/_base_/distill/
losses.py."""
import os.path as osp
import re

import pytest
from mmengine.config import Config

import medproto  # noqa: F401  (medproto:: base paths)
from config_tree import CONFIG_DIR, base_depth, base_files, shipped_configs

MAX_DEPTH = 3
CONFIGS = shipped_configs()
METHODS = ('kd', 'fitnet', 'at', 'rkd', 'crd', 'dkd', 'reviewkd')
DISTILL = [
    name for name in CONFIGS
    if re.match(r'(distill_cifar100|pbc/distill)/', name)
    and osp.basename(name).split('_')[0] in METHODS
    and 'linear_cb' not in name  # the head control, checked on its own
]


def test_the_shipped_configs_are_found():
    assert len(CONFIGS) > 100
    assert 'maunet/maunet_kd_kvasir.py' in CONFIGS
    assert not any('_base_' in name.split(osp.sep) for name in CONFIGS)
    # CIFAR-100: 2 pairs x 13 method sets; PBC: 7 methods + 21 pairs
    assert len(DISTILL) >= 2 * 13 + 28


@pytest.mark.parametrize('name', CONFIGS)
def test_at_most_three_base_levels(name):
    depth = base_depth(osp.join(CONFIG_DIR, name))
    assert depth <= MAX_DEPTH, (
        f'{name} is {depth} _base_ levels deep (at most {MAX_DEPTH}: data / '
        'runtime / schedule bases, a model or pair base, the experiment)')


def test_depth_counts_levels(tmp_path):
    """e -> d -> c -> b -> a is 4 levels; a list of bases takes the deepest;
    read_base() imports count as bases."""
    (tmp_path / 'a.py').write_text('x = 1\n')
    for child, parent in zip('bcde', 'abcd'):
        (tmp_path / f'{child}.py').write_text(f"_base_ = ['./{parent}.py']\n")
    (tmp_path / 'f.py').write_text("_base_ = ['./a.py', './c.py']\n")
    (tmp_path / 'g.py').write_text(
        'from mmengine.config import read_base\n\nwith read_base():\n'
        '    from .b import *  # noqa\n')
    assert base_depth(str(tmp_path / 'a.py')) == 0
    assert base_depth(str(tmp_path / 'e.py')) == 4
    assert base_depth(str(tmp_path / 'f.py')) == 3
    assert base_depth(str(tmp_path / 'g.py')) == 2
    assert base_files(str(tmp_path / 'f.py')) == [
        str(tmp_path / 'a.py'), str(tmp_path / 'c.py')]


def test_one_style_of_base_reference():
    """`_base_.x`, never the text substitution `{{_base_.x}}`."""
    import glob
    offenders = [
        osp.relpath(path, CONFIG_DIR)
        for path in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'),
                              recursive=True)
        if '{{_base_' in open(path, encoding='utf-8').read().replace(' ', '')
    ]
    assert not offenders


def _methods(name: str):
    """The leading method names of a file name: kd_at_micro_... -> kd, at."""
    methods = []
    for token in osp.basename(name).split('_'):
        if token not in METHODS:
            break
        methods.append(token)
    return methods


@pytest.mark.parametrize('name', DISTILL)
def test_a_method_config_places_its_own_terms(name):
    """kd_at_... has loss_kd and loss_at (in that order) and no other term,
    FitNet brings its connector, KD its task-loss weight 0.1; the terms are
    written in the file itself, not inherited from another method's."""
    methods = _methods(name)
    assert methods, name
    path = osp.join(CONFIG_DIR, name)
    text = open(path, encoding='utf-8').read()
    for method in methods:
        # placed as is, or completed for the teacher in this file
        assert (f'loss_{method}=_base_.{method}_loss' in text
                or f'loss_{method}=dict(_base_.{method}_loss' in text), name
    bases = base_files(path)
    # the pair base, and at most flat fragments (no bases of their own)
    assert 1 <= len(bases) and all(not base_files(b) for b in bases[1:])
    model = Config.fromfile(path).model
    assert list(model.distill_losses) == [f'loss_{m}' for m in methods]
    assert ('hint' in model.get('connectors', {})) == ('fitnet' in methods)
    expected_weight = 0.1 if 'kd' in methods else 1.0
    assert model.task_loss_weight == expected_weight, name
