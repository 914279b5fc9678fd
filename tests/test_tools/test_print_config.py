# Copyright (c) medproto contributors. All rights reserved.
"""tools/misc/print_config.py prints the resolved config: bases merged,
``--cfg-options`` applied, the same values Config.fromfile gives."""
import json
import os.path as osp

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/pbc/distill/kd_at_micro_nano_proto5_lt100.py'


def test_json_is_the_resolved_config_with_overrides(tool):
    out = tool('misc/print_config.py', CONFIG, '--format', 'json',
               '--cfg-options', 'train_cfg.max_epochs=2',
               'model.task_loss_weight=0.5')
    printed = json.loads(out.stdout)
    expected = Config.fromfile(osp.join(ROOT, CONFIG))
    expected.merge_from_dict({'train_cfg.max_epochs': 2,
                              'model.task_loss_weight': 0.5})
    # json turns tuples into lists: compare through the same encoding
    assert printed == json.loads(json.dumps(expected.to_dict()))
    assert printed['train_cfg']['max_epochs'] == 2
    assert list(printed['model']['distill_losses']) == ['loss_at', 'loss_kd']


def test_python_text_loads_back(tool, tmp_path):
    out = tool('misc/print_config.py', 'medproto::maunet/maunet_kd_kvasir.py')
    assert "type='medproto.SingleTeacherDistiller'" in out.stdout
    (tmp_path / 'printed.py').write_text(out.stdout)
    printed = Config.fromfile(str(tmp_path / 'printed.py'))
    expected = Config.fromfile(
        osp.join(ROOT, 'configs/maunet/maunet_kd_kvasir.py'))
    assert printed.to_dict() == expected.to_dict()


def test_missing_config_is_one_line(tool):
    out = tool('misc/print_config.py', 'configs/nope.py', expect_ok=False)
    assert out.returncode == 1 and 'Traceback' not in out.stderr
    assert 'error: config file not found: configs/nope.py' in out.stderr
