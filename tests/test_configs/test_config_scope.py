# Copyright (c) medproto contributors. All rights reserved.
"""A researcher's own config outside the checkout inherits a shipped one by
scope (``_base_ = 'medproto::...'``, as ``'mmseg::...'``) and runs from any
directory: checked in a subprocess whose working directory is a temporary
folder outside the repository."""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

PROBE = textwrap.dedent('''
    import json, sys
    import medproto  # installs the medproto:: base paths
    from mmengine.registry import MODELS, init_default_scope
    from medproto.utils.cli import load_config

    cfg = load_config(sys.argv[1])
    def scopes(node):
        if isinstance(node, dict):
            return ([node['_scope_']] if '_scope_' in node else []) + [
                s for v in node.values() for s in scopes(v)]
        if isinstance(node, (list, tuple)):
            return [s for v in node for s in scopes(v)]
        return []
    init_default_scope(cfg.default_scope)
    cfg.model.teacher_ckpt = None
    model = MODELS.build(cfg.model)
    print(json.dumps(dict(
        scope=cfg.default_scope, scopes=scopes(cfg.to_dict()),
        max_iters=cfg.train_cfg.max_iters, teacher=cfg.model.teacher,
        teacher_type=type(model.teacher.backbone).__name__,
        student_type=type(model.student.backbone).__name__)))
''')


def _run(cwd, *args):
    env = dict(os.environ, OMP_NUM_THREADS='1', MEDPROTO_DEBUG='')
    env.pop('PYTHONPATH', None)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_user_config_inherits_a_shipped_one_from_elsewhere(tmp_path):
    assert not str(tmp_path).startswith(ROOT)
    (tmp_path / 'probe.py').write_text(PROBE)
    (tmp_path / 'my_kd.py').write_text(
        "_base_ = 'medproto::maunet/maunet_kd_kvasir.py'\n"
        'train_cfg = dict(max_iters=600)\n')
    out = _run(tmp_path, 'probe.py', 'my_kd.py')
    assert out.returncode == 0, out.stderr[-3000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    # the shipped config's own scope, no `_scope_='medproto'` tags
    assert found['scope'] == 'mmseg' and found['scopes'] == []
    assert found['max_iters'] == 600
    assert found['teacher'] == dict(
        cfg_path='medproto::malunet/malunet_kvasir.py')
    assert (found['teacher_type'], found['student_type']) == ('MALUNet',
                                                              'MAUNet')


def test_print_config_of_a_user_config_from_elsewhere(tmp_path):
    (tmp_path / 'my_cls.py').write_text(
        "_base_ = ['medproto::pbc/dual_nano_proto5_lt100.py']\n"
        'train_dataloader = dict(batch_size=8)\n')
    out = _run(tmp_path, osp.join(ROOT, 'tools', 'misc', 'print_config.py'),
               'my_cls.py', '--format', 'json')
    assert out.returncode == 0, out.stderr[-3000:]
    cfg = json.loads(out.stdout)
    assert cfg['train_dataloader']['batch_size'] == 8
    assert cfg['model']['head']['type'] == 'MultiPrototypeHead'
    assert cfg['default_scope'] == 'mmpretrain'


def test_unknown_shipped_config_is_one_line(tmp_path):
    (tmp_path / 'bad.py').write_text("_base_ = 'medproto::maunet/nope.py'\n")
    out = _run(tmp_path, osp.join(ROOT, 'tools', 'misc', 'print_config.py'),
               'bad.py')
    assert out.returncode == 1
    assert 'Traceback' not in out.stderr
    errors = [line for line in out.stderr.splitlines()
              if line.startswith('error:')]
    assert len(errors) == 1 and 'not a config shipped' in errors[0], errors
