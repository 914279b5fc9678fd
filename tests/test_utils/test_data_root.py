# Copyright (c) medproto contributors. All rights reserved.
"""--data-root and the top-level data_root override (tools/train.py,
tools/test.py)."""
import argparse

import pytest
from mmengine.config import Config

from medproto.utils.cli import ConfigError, config_from_args, preflight
from medproto.utils.data_root import (TEST_LOADERS, TRAIN_LOADERS,
                                      dataset_roots, missing_data_folders,
                                      set_data_root)

SEG = 'configs/maunet/maunet_kvasir.py'
CROSS = 'configs/cross_dataset/maunet_kvasir_on_cvc.py'


def _args(config, *options, data_root=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg_options = parser.parse_args(
        ['--cfg-options', *options] if options else []).cfg_options
    return argparse.Namespace(config=config, cfg_options=cfg_options,
                              data_root=data_root, launcher='none',
                              work_dir='/tmp/unused', local_rank=0)


def _roots(cfg, loaders):
    return {root for _, root in dataset_roots(cfg, loaders)}


def test_data_root_option_moves_the_loaders_of_the_command(tmp_path):
    cfg = config_from_args(_args(SEG, data_root=str(tmp_path)))
    assert _roots(cfg, TRAIN_LOADERS) == {str(tmp_path)}
    cfg = config_from_args(_args(SEG, data_root=str(tmp_path)), TEST_LOADERS)
    assert _roots(cfg, TEST_LOADERS) == {str(tmp_path)}


def test_top_level_data_root_override_now_works(tmp_path):
    file_root = Config.fromfile(SEG).data_root
    cfg = config_from_args(_args(SEG, f'data_root={tmp_path}'))
    assert cfg.data_root == str(tmp_path)
    assert _roots(cfg, TRAIN_LOADERS) == {str(tmp_path)}
    assert file_root not in _roots(cfg, TRAIN_LOADERS)


def test_all_missing_folders_in_one_message_and_only_used_loaders(tmp_path):
    cfg = config_from_args(_args(
        SEG, 'val_dataloader.dataset.data_root=/nowhere/val',
        'test_dataloader.dataset.data_root=/nowhere/test',
        data_root='/nowhere/train'))
    assert [root for _, root in missing_data_folders(cfg, TRAIN_LOADERS)] \
        == ['/nowhere/train', '/nowhere/val']
    with pytest.raises(ConfigError) as err:
        preflight(cfg)
    message = str(err.value)
    assert "'/nowhere/train' (train_dataloader.dataset.data_root)" in message
    assert "'/nowhere/val' (val_dataloader.dataset.data_root)" in message
    assert '/nowhere/test' not in message  # train.py does not test
    assert '--data-root' in message
    # test.py checks the test data only
    cfg.train_dataloader.dataset.data_root = str(tmp_path)
    cfg.val_dataloader.dataset.data_root = str(tmp_path)
    with pytest.raises(ConfigError, match='/nowhere/test'):
        preflight(cfg, check_train_data=False)
    cfg.test_dataloader.dataset.data_root = str(tmp_path)
    preflight(cfg, check_train_data=False)


def test_two_datasets_in_the_used_loaders_are_not_guessed(tmp_path):
    cfg = Config.fromfile(CROSS)
    cfg.val_dataloader.dataset.data_root = 'data/other'
    with pytest.raises(ValueError, match='ambiguous'):
        set_data_root(cfg, str(tmp_path), TRAIN_LOADERS, old_root=None)
    # the config's own data_root singles one folder out
    changed = set_data_root(cfg, str(tmp_path), TRAIN_LOADERS,
                            old_root=cfg.train_dataloader.dataset.data_root)
    assert changed == ['train_dataloader.dataset.data_root']
    # the cross-dataset test set (CVC-ClinicDB) moves with test.py's option
    cfg = Config.fromfile(CROSS)
    set_data_root(cfg, str(tmp_path), TEST_LOADERS, old_root=cfg.data_root)
    assert _roots(cfg, TEST_LOADERS) == {str(tmp_path)}

