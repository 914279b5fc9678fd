# Copyright (c) medproto contributors. All rights reserved.
"""tools/misc/export_student.py: a distiller checkpoint -> a checkpoint the
student's own config evaluates with tools/test.py."""
import glob
import importlib.util
import os.path as osp
import pickle
import runpy
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

from medproto.registry import MODELS
from medproto.utils.cli import ConfigError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs', 'distill_cifar100')
KD_CFG = osp.join(CONFIGS, 'kd_r32x4_r8x4_cifar100.py')
STUDENT_CFG = osp.join(CONFIGS, 'resnet8x4_cifar100.py')


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'export_student', osp.join(ROOT, 'tools', 'misc',
                                   'export_student.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def distiller_ckpt(tmp_path_factory):
    """A kd_r32x4_r8x4 distiller with random weights saved as a runner
    checkpoint (meta + state_dict): (distiller, path)."""
    cfg = Config.fromfile(KD_CFG)
    cfg.model.teacher_ckpt = None
    cfg.model.data_preprocessor = cfg.data_preprocessor
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.eval()
    path = tmp_path_factory.mktemp('kd') / 'epoch_1.pth'
    meta = dict(epoch=1, iter=10, dataset_meta=dict(classes=['a', 'b']))
    torch.save(dict(meta=meta, state_dict=model.state_dict()), path)
    return model, path


@pytest.fixture
def cifar_root(tmp_path):
    """cifar-100-python with 4 test images."""
    rng = np.random.default_rng(0)
    entry = dict(fine_labels=[0, 1, 2, 3], coarse_labels=[0, 0, 1, 1],
                 data=rng.integers(0, 256, (4, 3072), dtype=np.uint8))
    for split in ('train', 'test'):
        with open(tmp_path / split, 'wb') as f:
            pickle.dump(entry, f, protocol=2)
    return tmp_path


def test_export_and_evaluate_with_the_student_config(distiller_ckpt,
                                                     cifar_root, tmp_path,
                                                     monkeypatch):
    model, ckpt = distiller_ckpt
    out = tmp_path / 'export' / 'student.pth'
    load_tool().main([KD_CFG, str(ckpt), str(out)])
    exported = torch.load(out, weights_only=True)
    assert exported['meta']['epoch'] == 1
    assert exported['meta']['dataset_meta'] == dict(classes=['a', 'b'])
    student_keys = set(model.student.state_dict())
    assert set(exported['state_dict']) == student_keys
    assert not glob.glob(str(tmp_path / 'export' / '.*.tmp'))

    # tools/test.py with the student's own config loads the export.
    dump = tmp_path / 'preds.pkl'
    monkeypatch.setattr(sys, 'argv', [
        'test.py', STUDENT_CFG, str(out), '--work-dir', str(tmp_path / 'w'),
        '--out', str(dump), '--cfg-options',
        f'test_dataloader.dataset.data_root={cifar_root}',
        f'val_dataloader.dataset.data_root={cifar_root}',
        'test_dataloader.batch_size=4', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ])
    runpy.run_path(osp.join(ROOT, 'tools', 'test.py'), run_name='__main__')
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    # The scores are the distiller's student's.
    images = torch.from_numpy(
        pickle.load(open(cifar_root / 'test', 'rb'))['data'].reshape(
            -1, 3, 32, 32)).float()
    data = model.data_preprocessor(dict(inputs=list(images.to(torch.uint8)),
                                        data_samples=None), False)
    expected = model(data['inputs'], mode='tensor').softmax(dim=1)
    scores = torch.stack([p['pred_score'] for p in preds])
    assert torch.allclose(scores, expected, atol=1e-5)


def test_export_errors(distiller_ckpt, tmp_path):
    tool = load_tool()
    model, ckpt = distiller_ckpt
    plain = tmp_path / 'plain.pth'
    torch.save(dict(state_dict=model.student.state_dict()), plain)
    with pytest.raises(ConfigError, match="no 'student.' keys"):
        tool.export_student(KD_CFG, str(plain), str(tmp_path / 'o.pth'))
    with pytest.raises(ConfigError, match='is not a distiller config'):
        tool.export_student(STUDENT_CFG, str(ckpt), str(tmp_path / 'o.pth'))
    wrn_cfg = osp.join(CONFIGS, 'kd_wrn40_2_wrn16_2_cifar100.py')
    with pytest.raises(ConfigError, match='do not fit the student'):
        tool.export_student(wrn_cfg, str(ckpt), str(tmp_path / 'o.pth'))
    assert not osp.exists(tmp_path / 'o.pth')
    # --no-verify skips the check.
    tool.main([wrn_cfg, str(ckpt), str(tmp_path / 'o.pth'), '--no-verify'])
    assert osp.isfile(tmp_path / 'o.pth')
