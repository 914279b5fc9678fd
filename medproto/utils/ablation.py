# Copyright (c) medproto contributors. All rights reserved.
"""Run a grid of configs x seeds with ``tools/train.py`` and
``tools/test.py``, resumably.

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

Every run gets ``<work_root>/<name>/<label>/seed<k>``. A run with a
``done.json`` marker is skipped; one with checkpoints but no marker is
resumed (``tools/train.py --resume``); a failed one leaves ``failed.json``
and is retried next time.
"""
import glob
import json
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from .cli import ConfigError
from .results import RunRecord, read_test_metrics

__all__ = ['GridEntry', 'AblationGrid', 'RunSpec', 'load_grid',
           'format_cfg_options', 'plan_runs', 'run_state', 'find_checkpoint',
           'subprocess_launcher', 'run_one', 'run_grid', 'collect_records',
           'Launcher']

DONE_MARKER = 'done.json'
FAILED_MARKER = 'failed.json'
_GRID_KEYS = ('name', 'configs', 'seeds', 'cfg_options', 'metrics',
              'efficiency', 'input_shape')
_ENTRY_KEYS = ('config', 'label', 'cfg_options')
_LABEL_RE = re.compile(r'^[A-Za-z0-9_.+-]+$')
_REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# (script and its arguments, log file) -> exit status
Launcher = Callable[[List[str], str], int]


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


@dataclass
class RunSpec:
    """One run: a grid entry, a seed, its work dir and all its overrides."""
    label: str
    config: str
    seed: int
    work_dir: str
    cfg_options: Dict[str, Any]


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
    raw = Config.fromfile(path).to_dict()
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
    seeds = raw.get('seeds') or [0]
    if not all(isinstance(s, int) for s in seeds) or len(set(seeds)) != len(
            seeds):
        raise ConfigError(f'grid {path}: `seeds` must be distinct ints, got '
                          f'{seeds!r}.')
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
        name=name, entries=entries, seeds=list(seeds),
        cfg_options=_flatten(dict(raw.get('cfg_options') or {}),
                             f'grid {path}: cfg_options'),
        metrics=list(raw.get('metrics') or []),
        efficiency=bool(raw.get('efficiency', False)), input_shape=shape,
        path=path)


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
                options))
    return runs


def run_state(work_dir: str) -> str:
    """``'done'`` (marker), ``'resume'`` (checkpoints) or ``'new'``."""
    if osp.isfile(osp.join(work_dir, DONE_MARKER)):
        return 'done'
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')) or glob.glob(
            osp.join(work_dir, '*.pth')):
        return 'resume'
    return 'new'


def find_checkpoint(work_dir: str) -> Optional[str]:
    """The newest ``best_*.pth``, else the last checkpoint, of a run."""
    best = glob.glob(osp.join(work_dir, 'best_*.pth'))
    if best:
        return max(best, key=osp.getmtime)
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer, encoding='utf-8') as f:
            last = f.read().strip()
        last = last if osp.isabs(last) else osp.join(work_dir, last)
        if osp.isfile(last):
            return last
    others = glob.glob(osp.join(work_dir, '*.pth'))
    return max(others, key=osp.getmtime) if others else None


def subprocess_launcher(argv: List[str], log_file: str) -> int:
    """Run ``python *argv`` with stdout and stderr going to ``log_file``."""
    with open(log_file, 'a', encoding='utf-8') as log:
        log.write(f'$ {shlex.join([sys.executable, *argv])}\n')
        log.flush()
        return subprocess.run([sys.executable, *argv], stdout=log,
                              stderr=subprocess.STDOUT).returncode


def _write_marker(path: str, record: RunRecord) -> None:
    from medproto.compat import atomic_write_bytes
    payload = {k: v for k, v in vars(record).items() if k != 'work_dir'}
    atomic_write_bytes(json.dumps(payload, indent=2).encode(), path)


def _last_line(log_file: str) -> str:
    if not osp.isfile(log_file):
        return ''
    with open(log_file, encoding='utf-8', errors='replace') as f:
        lines = [line.strip() for line in f if line.strip()]
    return lines[-1] if lines else ''


def run_one(spec: RunSpec, tools_dir: str, launcher: Launcher) -> RunRecord:
    """Train (or resume) one run, test its best checkpoint, write a marker.

    Args:
        spec (RunSpec): The run.
        tools_dir (str): Folder holding ``train.py`` and ``test.py``.
        launcher (Launcher): Runs a tool script, returns its exit status.

    Returns:
        RunRecord: Status ``'done'`` with metrics, or ``'failed'`` with a
        message (also written to ``failed.json``).
    """
    os.makedirs(spec.work_dir, exist_ok=True)
    failed_marker = osp.join(spec.work_dir, FAILED_MARKER)
    if osp.isfile(failed_marker):
        os.remove(failed_marker)
    record = RunRecord(spec.label, spec.config, spec.seed, 'failed',
                       spec.work_dir)
    start = time.time()
    options = format_cfg_options(spec.cfg_options)
    train_log = osp.join(spec.work_dir, 'train.log')
    argv = [osp.join(tools_dir, 'train.py'), spec.config, '--work-dir',
            spec.work_dir]
    if run_state(spec.work_dir) == 'resume':
        argv.append('--resume')
    code = launcher([*argv, '--cfg-options', *options], train_log)
    checkpoint = find_checkpoint(spec.work_dir) if code == 0 else None
    if code != 0 or checkpoint is None:
        record.message = (f'training exited with status {code}: '
                          f'{_last_line(train_log)}' if code != 0 else
                          'training wrote no checkpoint')
    else:
        record.checkpoint = checkpoint
        test_dir = osp.join(spec.work_dir, 'test')
        test_log = osp.join(spec.work_dir, 'test.log')
        test_start = time.time()
        test_options = [o for o in options
                        if not o.startswith('randomness.seed=')]
        code = launcher([osp.join(tools_dir, 'test.py'), spec.config,
                         checkpoint, '--work-dir', test_dir, '--cfg-options',
                         *test_options], test_log)
        try:
            if code != 0:
                raise RuntimeError(f'testing exited with status {code}: '
                                   f'{_last_line(test_log)}')
            record.metrics = read_test_metrics(test_dir, test_start - 1)
            record.status = 'done'
        except (RuntimeError, FileNotFoundError) as err:
            record.message = str(err)
    record.elapsed_s = time.time() - start
    marker = DONE_MARKER if record.status == 'done' else FAILED_MARKER
    _write_marker(osp.join(spec.work_dir, marker), record)
    return record


def _describe(record: RunRecord, metric_keys: Sequence[str]) -> str:
    if record.status != 'done':
        return f'FAILED ({record.message}); log in {record.work_dir}'
    shown = {k: v for k, v in record.metrics.items()
             if not metric_keys or k in metric_keys}
    text = ' '.join(f'{k}={v:.4g}' for k, v in shown.items())
    missing = [k for k in metric_keys if k not in record.metrics]
    if missing:
        text += (f' (warning: no metric {", ".join(missing)}; tools/test.py '
                 f'gave {", ".join(record.metrics) or "none"})')
    return text


def run_grid(runs: Sequence[RunSpec],
             tools_dir: str,
             metric_keys: Sequence[str] = (),
             launcher: Launcher = subprocess_launcher,
             log: Callable[[str], None] = print) -> List[RunRecord]:
    """Run every spec in turn; finished runs are skipped, failures recorded.

    Args:
        runs (Sequence[RunSpec]): From :func:`plan_runs`.
        tools_dir (str): Folder holding ``train.py`` and ``test.py``.
        metric_keys (Sequence[str]): Metrics shown in the progress lines.
        launcher (Launcher): Runs a tool script. Defaults to a subprocess.
        log (callable): Receives the progress lines. Defaults to print.

    Returns:
        list[RunRecord]: One record per spec, in order.
    """
    start = time.time()
    records = []
    for i, spec in enumerate(runs, 1):
        head = f'[{i}/{len(runs)}] {spec.label} seed={spec.seed}'
        state = run_state(spec.work_dir)
        if state == 'done':
            log(f'{head}: done earlier, skipped')
            records.append(collect_records([spec])[0])
            continue
        log(f'{head}: {"resuming" if state == "resume" else "training"} in '
            f'{spec.work_dir}')
        record = run_one(spec, tools_dir, launcher)
        elapsed = timedelta(seconds=int(time.time() - start))
        log(f'{head}: {_describe(record, metric_keys)} [{record.elapsed_s:.0f}'
            f's, grid elapsed {elapsed}]')
        records.append(record)
    return records


def collect_records(runs: Sequence[RunSpec]) -> List[RunRecord]:
    """Records of ``runs`` from the markers on disk, without running
    anything: ``'done'``, ``'failed'``, ``'interrupted'`` or
    ``'pending'``."""
    records = []
    for spec in runs:
        record = RunRecord(spec.label, spec.config, spec.seed, 'pending',
                           spec.work_dir)
        for marker in (DONE_MARKER, FAILED_MARKER):
            path = osp.join(spec.work_dir, marker)
            if osp.isfile(path):
                with open(path, encoding='utf-8') as f:
                    saved = json.load(f)
                for key in ('status', 'metrics', 'checkpoint', 'elapsed_s',
                            'message'):
                    if key in saved:
                        setattr(record, key, saved[key])
                break
        else:
            if run_state(spec.work_dir) == 'resume':
                record.status = 'interrupted'
        records.append(record)
    return records
