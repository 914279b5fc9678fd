# Copyright (c) medproto contributors. All rights reserved.
from mmengine.config import Config


def test_mmseg_scope_inheritance(tmp_path):
    """``mmseg::`` bases resolve (needs pkg_resources, setuptools < 81)."""
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text("_base_ = ['mmseg::_base_/default_runtime.py']\n"
                        "custom_imports = dict(imports=['medproto'])\n")
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports.imports == ['medproto']
