# Copyright (c) medproto contributors. All rights reserved.
"""Grid files of ``tools/ablation.py``: parsing, checks and the run plan.

A grid file (Python or YAML, read with mmengine's ``Config``) holds::

    name = 'seg_distill_terms'
    configs = [
        'configs/maunet/maunet_kvasir.py',                  # label: file stem
        dict(config='configs/maunet/maunet_kd_kvasir.py', label='full_kd',
             cfg_options={'model.task_loss_weight': 0.5}),
    ]
    seeds = [0, 1, 2]
    cfg_options = dict(train_cfg=dict(max_iters=1000))   # for every run
    metrics = ['Dice', 'IoU']          # [] = every metric tools/test.py gives
    efficiency = True                  # params, MACs, CPU latency columns
    input_shape = (3, 256, 256)
    dump_predictions = True            # test.py --out <run>/test/preds.pkl

Names starting with ``_`` are helper variables and ignored. Relative config
paths are looked up in the current folder, then in the repository root.
"""
import os.path as osp
import re
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from .cli import ConfigError

__all__ = ['GridEntry', 'AblationGrid', 'RunSpec', 'load_grid',
           'format_cfg_options', 'plan_runs', 'select_runs']

_GRID_KEYS = ('name', 'configs', 'seeds', 'cfg_options', 'metrics',
              'efficiency', 'input_shape', 'dump_predictions')
_ENTRY_KEYS = ('config', 'label', 'cfg_options')
_LABEL_RE = re.compile(r'^[A-Za-z0-9_.+-]+$')
_REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@dataclass
class GridEntry:
    """One config of a grid: its path, label and own overrides."""
    label: str
    config: str
    cfg_options: Dict[str, Any] = field(default_factory=dict)


@dataclass
class AblationGrid:
    """A parsed grid file (see the module docstring)."""
    name: str
    entries: List[GridEntry]
    seeds: List[int]
    cfg_options: Dict[str, Any]
    metrics: List[str]
    efficiency: bool
    input_shape: Tuple[int, int, int]
    path: str
    dump_predictions: bool = False


@dataclass
class RunSpec:
    """One run: a grid entry, a seed, its work dir and all its overrides."""
    label: str
    config: str
    seed: int
    work_dir: str
    cfg_options: Dict[str, Any]
    dump_predictions: bool = False


def _flatten(options: Any, where: str, prefix: str = '') -> Dict[str, Any]:
    """``{'a': {'b': 1}}`` -> ``{'a.b': 1}``."""
    if not isinstance(options, dict):
        raise ConfigError(f'{where} must be a dict, got {options!r}.')
    flat = {}
    for key, value in options.items():
        name = f'{prefix}{key}'
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, where, f'{name}.'))
        else:
            flat[name] = value
    return flat


def _resolve_config(path: str) -> Optional[str]:
    """``path`` if it exists (as given or under the repo root), else None."""
    if osp.isfile(path):
        return path
    in_repo = osp.join(_REPO_ROOT, path)
    return in_repo if not osp.isabs(path) and osp.isfile(in_repo) else None


def _parse_entry(item: Any, where: str) -> GridEntry:
    if isinstance(item, str):
        item = dict(config=item)
    if not isinstance(item, dict) or 'config' not in item:
        raise ConfigError(f'{where}: each entry of `configs` must be a path '
                          f'or a dict with a `config` key, got {item!r}.')
    unknown = set(item) - set(_ENTRY_KEYS)
    if unknown:
        raise ConfigError(f'{where}: unknown key(s) {sorted(unknown)} in the '
                          f'entry of {item["config"]} (allowed: '
                          f'{", ".join(_ENTRY_KEYS)}).')
    label = item.get('label') or osp.splitext(osp.basename(item['config']))[0]
    if not _LABEL_RE.match(label):
        raise ConfigError(f'{where}: label {label!r} may only use letters, '
                          f'digits and _ . + -')
    return GridEntry(label, item['config'],
                     _flatten(dict(item.get('cfg_options') or {}), where))


def load_grid(path: str) -> AblationGrid:
    """Read and check a grid file; every config it names must exist.

    Args:
        path (str): A ``.py`` or ``.yaml`` grid file.

    Returns:
        AblationGrid: The grid, config paths resolved.

    Raises:
        ConfigError: For a missing file, unknown or ill-typed keys,
            duplicate labels or seeds, and configs that do not exist (all
            listed at once).
    """
    if not osp.isfile(path):
        raise ConfigError(f'grid file not found: {path}')
    raw = {key: value for key, value in Config.fromfile(path).to_dict().items()
           if not key.startswith('_')}  # private helper variables
    unknown = set(raw) - set(_GRID_KEYS)
    if unknown:
        raise ConfigError(f'grid {path}: unknown key(s) {sorted(unknown)} '
                          f'(allowed: {", ".join(_GRID_KEYS)}).')
    if not raw.get('configs'):
        raise ConfigError(f'grid {path} has no `configs`.')
    entries = [_parse_entry(item, f'grid {path}') for item in raw['configs']]
    labels = [entry.label for entry in entries]
    dupes = sorted({label for label in labels if labels.count(label) > 1})
    if dupes:
        raise ConfigError(f'grid {path}: labels {dupes} are used twice; give '
                          f'the entries distinct `label`s.')
    seeds = _check_seeds(raw.get('seeds') or [0], f'grid {path}: `seeds`')
    shape = tuple(raw.get('input_shape') or (3, 256, 256))
    if len(shape) != 3 or not all(isinstance(v, int) and v > 0
                                  for v in shape):
        raise ConfigError(f'grid {path}: `input_shape` must be (C, H, W), got '
                          f'{shape!r}.')
    missing = [e.config for e in entries if _resolve_config(e.config) is None]
    if missing:
        raise ConfigError(f'grid {path} names {len(missing)} config(s) that '
                          f'do not exist: {", ".join(missing)}')
    for entry in entries:
        entry.config = _resolve_config(entry.config)
    name = raw.get('name') or osp.splitext(osp.basename(path))[0]
    return AblationGrid(
        name=name, entries=entries, seeds=seeds,
        cfg_options=_flatten(dict(raw.get('cfg_options') or {}),
                             f'grid {path}: cfg_options'),
        metrics=list(raw.get('metrics') or []),
        efficiency=bool(raw.get('efficiency', False)), input_shape=shape,
        path=path, dump_predictions=bool(raw.get('dump_predictions', False)))


def _format_value(value: Any, key: str) -> str:
    """A value as mmengine's ``DictAction`` parses it back."""
    if isinstance(value, (list, tuple)):
        inner = ','.join(_format_value(v, key) for v in value)
        return f'[{inner}]' if isinstance(value, list) else f'({inner})'
    if value is None or isinstance(value, (bool, int, float)):
        return str(value)
    if isinstance(value, str) and not re.search(r'[\s,()\[\]\'"]', value):
        return value
    raise ConfigError(f'cfg_options {key}={value!r} cannot be passed on the '
                      f'command line (use numbers, plain strings without '
                      f'spaces or commas, and lists of them).')


def format_cfg_options(options: Dict[str, Any]) -> List[str]:
    """``{'a.b': [1, 2]}`` -> ``['a.b=[1,2]']`` for ``--cfg-options``."""
    return [f'{key}={_format_value(value, key)}'
            for key, value in options.items()]


def plan_runs(grid: AblationGrid, work_root: str,
              extra_options: Optional[Dict[str, Any]] = None
              ) -> List[RunSpec]:
    """Every (config, seed) run of ``grid``, configs outermost.

    Overrides are merged in the order grid ``cfg_options``, entry
    ``cfg_options``, ``extra_options`` (the command line), then
    ``randomness.seed``.
    """
    runs = []
    for entry in grid.entries:
        for seed in grid.seeds:
            options = {**grid.cfg_options, **entry.cfg_options,
                       **_flatten(dict(extra_options or {}), '--cfg-options'),
                       'randomness.seed': seed}
            format_cfg_options(options)  # fail early on unusable values
            runs.append(RunSpec(
                entry.label, entry.config, seed,
                osp.join(work_root, grid.name, entry.label, f'seed{seed}'),
                options, grid.dump_predictions))
    return runs


def _check_seeds(seeds: Sequence[int], what: str) -> List[int]:
    """``seeds`` as a list; a ConfigError naming ``what`` unless they are
    distinct ints."""
    seeds = list(seeds)
    if not all(isinstance(s, int) for s in seeds) or \
            len(set(seeds)) != len(seeds):
        raise ConfigError(f'{what} must be distinct ints, got {seeds!r}.')
    return seeds


def with_seeds(grid: AblationGrid,
               seeds: Optional[Sequence[int]]) -> AblationGrid:
    """``grid`` with its seeds replaced (a quick pass over one seed, or
    more seeds than the file lists). None or empty keeps the grid's own.

    Raises:
        ConfigError: Unless ``seeds`` are distinct ints.
    """
    if not seeds:
        return grid
    return replace(grid, seeds=_check_seeds(seeds, '--seeds'))


def select_runs(runs: Sequence[RunSpec],
                only: Optional[Sequence[str]]) -> List[RunSpec]:
    """The runs whose label is in ``only`` (all when ``only`` is empty).

    Raises:
        ConfigError: For a name that is no label of the grid.
    """
    if not only:
        return list(runs)
    labels = list(dict.fromkeys(spec.label for spec in runs))
    unknown = [name for name in only if name not in labels]
    if unknown:
        raise ConfigError(f'--only {", ".join(unknown)}: not a label of the '
                          f'grid (labels: {", ".join(labels)}).')
    return [spec for spec in runs if spec.label in only]
