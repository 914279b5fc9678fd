# Copyright (c) medproto contributors. All rights reserved.
"""Resolve the paths configs refer to: the shipped configs (``medproto::``),
checkpoint patterns and model configs taken from other config files."""
import ast
import glob
import os.path as osp
from typing import Any, Iterator, List, Mapping, MutableMapping, Optional

from mmengine.config import Config

__all__ = [
    'SCOPE_PREFIX', 'shipped_config_dir', 'resolve_config_path',
    'resolve_checkpoint', 'model_cfg_from_file', 'resolve_model_cfg_paths'
]

#: How a config names a config shipped with medproto, e.g.
#: ``'medproto::maunet/maunet_kd_kvasir.py'`` (as ``mmseg::`` in mmseg).
SCOPE_PREFIX = 'medproto::'

_PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def shipped_config_dir() -> str:
    """The folder of the configs shipped with medproto.

    An installed package carries them in ``medproto/.mim/configs`` (copied
    by ``setup.py``); a source checkout (``pip install -e .`` or none) uses
    the ``configs/`` folder beside the package.
    """
    installed = osp.join(_PACKAGE_DIR, '.mim', 'configs')
    if osp.isdir(installed):
        return installed
    return osp.join(osp.dirname(_PACKAGE_DIR), 'configs')


def resolve_config_path(path: str, relative_to: Optional[str] = None,
                        key: str = 'config') -> str:
    """The file a config path names.

    Args:
        path (str): ``'medproto::<path under configs/>'`` for a shipped
            config, else a file path, taken relative to the current
            directory first and then to the folder of ``relative_to``.
        relative_to (str, optional): The config file that names ``path``.
        key (str): The setting named in errors.

    Raises:
        FileNotFoundError: If no such file exists, naming the places tried.
    """
    if path.startswith(SCOPE_PREFIX):
        found = osp.join(shipped_config_dir(), path[len(SCOPE_PREFIX):])
        if not osp.isfile(found):
            raise FileNotFoundError(
                f"{key}: '{path}' is not a config shipped with medproto "
                f'(no file {found})')
        return found
    if osp.isfile(path):
        return path
    tried = [osp.abspath(path)]
    if relative_to is not None and not osp.isabs(path):
        beside = osp.normpath(osp.join(osp.dirname(relative_to), path))
        if osp.isfile(beside):
            return beside
        tried.append(beside)
    raise FileNotFoundError(f"{key}: config file '{path}' not found "
                            f"(tried {', '.join(tried)})")


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


def find_checkpoint(path: str, key: str = 'checkpoint') -> str:
    """:func:`resolve_checkpoint`, naming the checkpoints that do exist.

    ``tools/test.py`` takes its checkpoint through this, so
    ``work_dirs/x/best_Dice_iter_*.pth`` works as in ``teacher_ckpt``, and a
    wrong name is answered with the ``.pth`` files of its folder.

    Args:
        path (str): A file path or a glob pattern.
        key (str): What the path is, named in errors.

    Raises:
        FileNotFoundError: Nothing matches; the message lists the ``.pth``
            files of the folder (or says the folder does not exist).
        ValueError: A pattern matches more than one file.
    """
    try:
        return resolve_checkpoint(path, key)
    except FileNotFoundError as err:
        folder = osp.dirname(path) or '.'
        if glob.has_magic(folder) or not osp.isdir(folder):
            raise FileNotFoundError(
                f'{err}; the folder {folder} does not exist') from None
        found = sorted(osp.basename(p)
                       for p in glob.glob(osp.join(folder, '*.pth')))
        listed = (', '.join(found[:10]) + (' ...' if len(found) > 10 else '')
                  if found else 'none')
        raise FileNotFoundError(f'{err}; checkpoints in {folder}: '
                                f'{listed}') from None


def model_cfg_from_file(cfg: Mapping,
                        relative_to: Optional[str] = None) -> dict:
    """Expand ``dict(cfg_path=FILE, **overrides)`` into FILE's ``model``.

    Args:
        cfg (Mapping): A model config with a ``cfg_path`` key
            (``'medproto::...'``, or a file path: see
            :func:`resolve_config_path`); the other keys are merged into the
            loaded model config.
        relative_to (str, optional): The config file that names FILE.

    Returns:
        dict: The model config.
    """
    cfg = dict(cfg)
    name = cfg.pop('cfg_path')
    path = resolve_config_path(name, relative_to, key='cfg_path')
    loaded = Config.fromfile(path)
    if 'model' not in loaded:
        raise KeyError(f'{name} (cfg_path) has no `model` entry')
    model = Config(dict(model=loaded.model))
    model.merge_from_dict(dict(model=cfg))
    return model.model.to_dict()


def _model_refs(node: Any) -> Iterator[MutableMapping]:
    """Every dict with a ``cfg_path`` under ``node``."""
    if isinstance(node, MutableMapping):
        if isinstance(node.get('cfg_path'), str):
            yield node
        for value in node.values():
            yield from _model_refs(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _model_refs(value)


def _config_files(path: str) -> List[str]:
    """``path`` and the files of its ``_base_`` tree, each before its bases
    (the order in which a value written in the file wins)."""
    files, todo = [], [path]
    while todo:
        current = todo.pop(0)
        if current in files or not osp.isfile(current):
            continue
        files.append(current)
        with open(current, encoding='utf-8') as f:
            tree = ast.parse(f.read())
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and getattr(node.targets[0], 'id', None) == '_base_'):
                try:
                    value = ast.literal_eval(node.value)
                except ValueError:
                    continue
                names = [value] if isinstance(value, str) else list(value)
                todo.extend(
                    Config._get_cfg_path(name, current)[0] for name in names)
    return files


def _naming_file(files: List[str], value: str) -> Optional[str]:
    """The first of ``files`` that writes ``value`` as a string literal."""
    for path in files:
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read())
        if any(isinstance(node, ast.Constant) and node.value == value
               for node in ast.walk(tree)):
            return path
    return None


def resolve_model_cfg_paths(cfg: Config) -> Config:
    """Make each relative ``cfg_path`` under ``cfg.model`` absolute.

    A ``cfg_path`` that is not a file relative to the current directory is
    taken relative to the config file that writes it (``cfg.filename`` or
    one of its bases), so a config naming ``'teacher.py'`` beside itself
    runs from any directory. ``medproto::`` paths, absolute paths and paths
    found relative to the current directory are left as they are.

    Args:
        cfg (Config): A config loaded from a file, changed in place.

    Returns:
        Config: The same config.
    """
    refs = [ref for ref in _model_refs(cfg.get('model'))
            if not ref['cfg_path'].startswith(SCOPE_PREFIX)
            and not osp.isabs(ref['cfg_path'])
            and not osp.isfile(ref['cfg_path'])]
    if not refs or not cfg.filename:
        return cfg
    files = _config_files(osp.abspath(cfg.filename))
    for ref in refs:
        naming = _naming_file(files, ref['cfg_path']) or files[0]
        ref['cfg_path'] = osp.abspath(
            resolve_config_path(ref['cfg_path'], naming, key='cfg_path'))
    return cfg
