# Copyright (c) medproto contributors. All rights reserved.
import os.path as osp
import sys

import torch
from mmengine.config import Config

TESTS = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
PLUGIN_DIR = osp.join(TESTS, 'data', 'third_party_plugin')
sys.path.insert(0, osp.join(TESTS, 'data', 'distill_toys'))

from medproto_distill_toys import (CLS_PREPROCESSOR, cls_batch,  # noqa: E402
                                   cls_model, default_scope)

from medproto.registry import MODELS  # noqa: E402

CONFIG = f"""
default_scope = 'mmpretrain'
custom_imports = dict(imports=['medproto', 'my_kd_plugin'],
                      allow_failed_imports=False)
model = dict(
    type='medproto.LoggingDistiller',
    student={cls_model(width=4)!r},
    teacher={cls_model(width=8)!r},
    student_recorders=dict(logits='head.fc'),
    teacher_recorders=dict(logits='head.fc'),
    distill_losses=dict(
        loss_cos=dict(type='medproto.CosineLogitLoss', loss_weight=2.0,
                      inputs=dict(preds_S='s.logits', preds_T='t.logits'))),
    data_preprocessor={CLS_PREPROCESSOR!r})
"""


def test_plugin_from_custom_imports_builds_and_trains(tmp_path,
                                                       monkeypatch):
    monkeypatch.syspath_prepend(PLUGIN_DIR)
    config = tmp_path / 'plugin_cfg.py'
    config.write_text(CONFIG)
    cfg = Config.fromfile(str(config))  # imports my_kd_plugin
    # The plugin is an outside module, found through sys.path only.
    assert osp.dirname(sys.modules['my_kd_plugin'].__file__) == PLUGIN_DIR
    with default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'LoggingDistiller'
    model.train()
    data = model.data_preprocessor(cls_batch(), True)
    losses = model(**data, mode='loss')
    assert {'loss_task', 'loss_cos', 'agreement'} <= set(losses)
    parsed, log_vars = model.parse_losses(losses)
    assert torch.allclose(parsed, losses['loss_task'] + losses['loss_cos'])
    parsed.backward()
    assert model.student.head.fc.weight.grad.abs().sum() > 0
