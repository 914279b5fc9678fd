# Copyright (c) medproto contributors. All rights reserved.
"""Resolve the paths configs refer to: checkpoint patterns and model configs
taken from other config files."""
import glob
import os.path as osp
from typing import Mapping

from mmengine.config import Config

__all__ = ['resolve_checkpoint', 'model_cfg_from_file']


def resolve_checkpoint(path: str, key: str = 'checkpoint') -> str:
    """Return ``path``, or the single file a glob pattern in it matches.

    Patterns let a config name a checkpoint whose exact name is only known
    after training, e.g. ``'work_dirs/malunet_kvasir/best_Dice_iter_*.pth'``
    (mmengine keeps one ``best_*`` file per metric).

    Args:
        path (str): A file path or a glob pattern (``*``, ``?``, ``[...]``).
        key (str): The config key, named in errors.

    Raises:
        FileNotFoundError: If nothing matches, or a plain path is missing.
        ValueError: If a pattern matches more than one file.
    """
    if '://' in path:
        return path
    if not glob.has_magic(path):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{key} not found: {path}')
        return path
    matches = sorted(glob.glob(path))
    if not matches:
        raise FileNotFoundError(f"{key} not found: no file matches '{path}'")
    if len(matches) > 1:
        raise ValueError(f"{key} pattern '{path}' matches {len(matches)} "
                         f'files ({", ".join(matches[:3])}...): name one')
    return matches[0]


def model_cfg_from_file(cfg: Mapping) -> dict:
    """Expand ``dict(cfg_path=FILE, **overrides)`` into FILE's ``model``.

    Args:
        cfg (Mapping): A model config with a ``cfg_path`` key; the other keys
            are merged into the loaded model config.

    Returns:
        dict: The model config.
    """
    cfg = dict(cfg)
    path = cfg.pop('cfg_path')
    if not osp.isfile(path):
        raise FileNotFoundError(f'model config file not found: {path} '
                                f'(cfg_path)')
    loaded = Config.fromfile(path)
    if 'model' not in loaded:
        raise KeyError(f'{path} (cfg_path) has no `model` entry')
    model = Config(dict(model=loaded.model))
    model.merge_from_dict(dict(model=cfg))
    return model.model.to_dict()
