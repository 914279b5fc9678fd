# Copyright (c) medproto contributors. All rights reserved.
"""Where a config's datasets live: list, move and check their data folders.

``tools/train.py`` and ``tools/test.py`` use these for ``--data-root`` and
for the top-level ``data_root`` key: configs copy ``data_root`` into every
dataloader when they are parsed, so overriding the top-level key alone with
``--cfg-options data_root=...`` would change nothing without
:func:`set_data_root`.
"""
import os.path as osp
from typing import Iterator, List, Mapping, MutableMapping, Optional, Sequence

__all__ = ['TRAIN_LOADERS', 'TEST_LOADERS', 'dataset_roots', 'set_data_root',
           'missing_data_folders', 'missing_data_message']

#: The dataloaders ``tools/train.py`` builds (the test loader is not run).
TRAIN_LOADERS = ('train_dataloader', 'val_dataloader')
#: The dataloader ``tools/test.py`` builds.
TEST_LOADERS = ('test_dataloader', )


def _datasets(cfg: Mapping, loaders: Sequence[str]
              ) -> Iterator[tuple]:
    """``(config key, dataset dict)`` of every dataset of ``loaders``,
    wrapped ones (``RepeatDataset``, ``ConcatDataset``) included."""
    for loader in loaders:
        dataset = (cfg.get(loader) or {}).get('dataset')
        stack = [(f'{loader}.dataset', dataset)]
        while stack:
            key, ds = stack.pop()
            if not isinstance(ds, MutableMapping):
                continue
            yield key, ds
            if 'dataset' in ds:
                stack.append((f'{key}.dataset', ds['dataset']))
            for i, sub in enumerate(ds.get('datasets', None) or []):
                stack.append((f'{key}.datasets.{i}', sub))


def dataset_roots(cfg: Mapping, loaders: Sequence[str]) -> List[tuple]:
    """``(config key, data_root)`` of every dataset of ``loaders``.

    Args:
        cfg (Mapping): A loaded config.
        loaders (Sequence[str]): Dataloader keys, e.g. :data:`TRAIN_LOADERS`.

    Returns:
        list[tuple[str, str]]: e.g. ``('val_dataloader.dataset.data_root',
        'data/kvasir-seg')``; datasets without a ``data_root`` are left out.
    """
    return [(f'{key}.data_root', ds['data_root'])
            for key, ds in _datasets(cfg, loaders) if ds.get('data_root')]


def set_data_root(cfg: MutableMapping, new_root: str,
                  loaders: Sequence[str],
                  old_root: Optional[str] = None) -> List[str]:
    """Point the datasets of ``loaders`` at ``new_root``.

    Which datasets move: those whose ``data_root`` is ``old_root`` (the
    config's top-level ``data_root`` as written in the file) when given and
    found; else, when all datasets of ``loaders`` share one folder, all of
    them. A config whose loaders read several folders that ``old_root``
    does not single out (e.g. train on Kvasir-SEG, test on CVC-ClinicDB
    with two different ``data_root``) is refused rather than guessed.

    Args:
        cfg (MutableMapping): The config, changed in place; its top-level
            ``data_root`` becomes ``new_root`` too.
        new_root (str): The folder to use.
        loaders (Sequence[str]): Dataloader keys to change.
        old_root (str, optional): The config's own top-level ``data_root``.

    Returns:
        list[str]: The changed config keys.

    Raises:
        ValueError: When no dataset has a ``data_root``, or the datasets
            read several folders and none is ``old_root``.
    """
    roots = dataset_roots(cfg, loaders)
    if not roots:
        raise ValueError(f'--data-root: no dataset of {", ".join(loaders)} '
                         'has a data_root setting to replace')
    targets = {r for _, r in roots}
    if old_root is not None and old_root in targets:
        targets = {old_root}
    elif len(targets) > 1:
        listed = '; '.join(f'{k}={r}' for k, r in roots)
        raise ValueError(
            f'--data-root is ambiguous: the datasets read several folders '
            f'({listed}); set each with --cfg-options KEY=/path')
    changed = []
    for key, ds in _datasets(cfg, loaders):
        if ds.get('data_root') in targets:
            ds['data_root'] = new_root
            changed.append(f'{key}.data_root')
    cfg['data_root'] = new_root
    return changed


def missing_data_folders(cfg: Mapping,
                         loaders: Sequence[str]) -> List[tuple]:
    """``(config key, folder)`` of every missing data folder of ``loaders``.

    A folder shared by several loaders is listed once, with its first key.

    Args:
        cfg (Mapping): A loaded config.
        loaders (Sequence[str]): Dataloader keys.

    Returns:
        list[tuple[str, str]]: The missing folders, in loader order.
    """
    missing, seen = [], set()
    for key, root in dataset_roots(cfg, loaders):
        if root in seen or osp.isdir(root):
            continue
        seen.add(root)
        missing.append((key, root))
    return missing


def missing_data_message(missing: Sequence[tuple]) -> str:
    """One message naming every missing folder and how to point at data.

    Args:
        missing (Sequence[tuple]): Output of :func:`missing_data_folders`.

    Returns:
        str: e.g. ``"data folder 'data/x' (train_dataloader.dataset.
        data_root) does not exist: ..."``.
    """
    listed = ', '.join(f"'{root}' ({key})" for key, root in missing)
    noun = 'folder' if len(missing) == 1 else 'folders'
    verb = 'does' if len(missing) == 1 else 'do'
    return (f'data {noun} {listed} {verb} not exist: put the dataset there '
            f'(see docs/datasets.md) or pass --data-root /path/to/data')
