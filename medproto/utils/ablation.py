# Copyright (c) medproto contributors. All rights reserved.
"""Run an ablation grid with ``tools/train.py`` and ``tools/test.py``,
resumably, and tabulate it.

Every run (one config, one seed; see :mod:`.ablation_grid`) gets
``<work_root>/<grid name>/<label>/seed<k>``. A run with a ``done.json``
marker (its final metrics) is skipped; one with checkpoints but no marker
is resumed (``tools/train.py --resume``); a failed one leaves
``failed.json`` and is retried next time. :func:`report` writes
``results.csv`` and ``results.md`` next to the runs.
"""
import fnmatch
import glob
import json
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
import time
from datetime import timedelta
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .ablation_grid import AblationGrid, RunSpec, format_cfg_options
from .cli import ConfigError
from .results import (RunRecord, measure_efficiency, read_test_metrics,
                      write_reports)

__all__ = ['run_state', 'find_checkpoint', 'subprocess_launcher',
           'train_command', 'evaluate_command', 'run_one',
           'run_grid', 'collect_records', 'grid_efficiency', 'report',
           'Launcher', 'DONE_MARKER', 'FAILED_MARKER', 'predictions_path']

DONE_MARKER = 'done.json'
FAILED_MARKER = 'failed.json'

# (script and its arguments, log file) -> exit status
Launcher = Callable[[List[str], str], int]


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


def train_command(spec: RunSpec, tools_dir: str) -> List[str]:
    """``tools/train.py`` and its arguments for ``spec`` (with ``--resume``
    when its work dir holds checkpoints)."""
    argv = [osp.join(tools_dir, 'train.py'), spec.config, '--work-dir',
            spec.work_dir]
    if run_state(spec.work_dir) == 'resume':
        argv.append('--resume')
    return argv + _options_args(spec.cfg_options)


def predictions_path(work_dir: str) -> str:
    """Where a run's test predictions go (grids with
    ``dump_predictions``): ``<work_dir>/test/preds.pkl``."""
    return osp.join(work_dir, 'test', 'preds.pkl')


def evaluate_command(spec: RunSpec, tools_dir: str,
                     checkpoint: str) -> List[str]:
    """``tools/test.py`` and its arguments: ``checkpoint`` is evaluated
    with the run's overrides (not the seed) into ``<work_dir>/test``, the
    predictions dumped to :func:`predictions_path` when the grid asks."""
    options = {k: v for k, v in spec.cfg_options.items()
               if k != 'randomness.seed'}
    dump = (['--out', predictions_path(spec.work_dir)]
            if spec.dump_predictions else [])
    return [osp.join(tools_dir, 'test.py'), spec.config, checkpoint,
            '--work-dir', osp.join(spec.work_dir, 'test'), *dump,
            *_options_args(options)]


def _options_args(options: Dict[str, object]) -> List[str]:
    formatted = format_cfg_options(options)
    return ['--cfg-options', *formatted] if formatted else []


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
    train_log = osp.join(spec.work_dir, 'train.log')
    code = launcher(train_command(spec, tools_dir), train_log)
    checkpoint = find_checkpoint(spec.work_dir) if code == 0 else None
    if code != 0 or checkpoint is None:
        record.message = (f'training exited with status {code}: '
                          f'{_last_line(train_log)}' if code != 0 else
                          'training wrote no checkpoint')
    else:
        record.checkpoint = checkpoint
        test_log = osp.join(spec.work_dir, 'test.log')
        test_start = time.time()
        code = launcher(
            evaluate_command(spec, tools_dir, checkpoint), test_log)
        try:
            if code != 0:
                raise RuntimeError(f'testing exited with status {code}: '
                                   f'{_last_line(test_log)}')
            record.metrics = read_test_metrics(
                osp.join(spec.work_dir, 'test'), test_start - 1)
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


def grid_efficiency(grid: AblationGrid, runs: Sequence[RunSpec],
                    grid_dir: str,
                    log: Callable[[str], None] = print
                    ) -> Tuple[Optional[Dict[str, dict]], List[str]]:
    """Efficiency numbers per label (cached in ``<label>/efficiency.json``).

    Returns:
        tuple: ``(numbers per label or None, notes for the table)``. Without
        :mod:`medproto.utils.efficiency` the numbers are None and a note
        says why; a model that cannot be built gets a note of its own.
    """
    if not grid.efficiency:
        return None, []
    numbers, notes = {}, []
    first = {}
    for spec in runs:
        first.setdefault(spec.label, spec)
    for label, spec in first.items():
        try:
            numbers[label] = measure_efficiency(
                spec.config, spec.cfg_options, grid.input_shape,
                osp.join(grid_dir, label, 'efficiency.json'))
        except ImportError as err:
            note = (f'Efficiency columns omitted: medproto.utils.efficiency '
                    f'is not available ({err}).')
            log(note)
            return None, [note]
        except Exception as err:  # noqa: BLE001  (one bad model, not all)
            notes.append(f'No efficiency numbers for {label}: '
                         f'{type(err).__name__}: {err}')
            log(notes[-1])
    shape = 'x'.join(str(v) for v in grid.input_shape)
    notes.insert(0, f'Efficiency: input {shape}, MACs counted by mmengine\'s '
                 f'FlopAnalyzer, median CPU latency of batch 1.')
    return numbers, notes


def select_metrics(patterns: Sequence[str],
                   records: Sequence[RunRecord]) -> List[str]:
    """The metric keys of the finished runs that match ``patterns``.

    Args:
        patterns (Sequence[str]): Keys or shell patterns (``fnmatch``),
            e.g. ``['top1', 'recall/*']``; columns follow their order.
        records (Sequence[RunRecord]): The runs, as :func:`collect_records`
            gives them.

    Returns:
        list[str]: The matching keys, each once.

    Raises:
        ConfigError: When a pattern matches no key of any finished run (the
            keys found are listed).
    """
    found = list(dict.fromkeys(key for rec in records for key in rec.metrics))
    keys: List[str] = []
    for pattern in patterns:
        hits = [key for key in found if fnmatch.fnmatchcase(key, pattern)]
        if not hits:
            raise ConfigError(
                f'--metrics {pattern!r} matches no metric of the finished '
                f'runs (they have: {", ".join(found) or "none"}).')
        keys += [key for key in hits if key not in keys]
    return keys


def report(grid: AblationGrid, runs: Sequence[RunSpec], work_root: str,
           log: Callable[[str], None] = print,
           metric_patterns: Optional[Sequence[str]] = None
           ) -> Tuple[str, str]:
    """Collect the markers of ``runs`` and write ``results.csv`` and
    ``results.md`` into ``<work_root>/<grid name>``.

    Args:
        grid (AblationGrid): The grid.
        runs (Sequence[RunSpec]): Its runs.
        work_root (str): Root of the grid folders.
        log (Callable[[str], None]): Where progress lines go.
        metric_patterns (Sequence[str], optional): Other columns than the
            grid's ``metrics`` (see :func:`select_metrics`); the reports are
            then named ``results_<patterns>.{csv,md}`` (e.g.
            ``results_recall`` for ``recall/*``) and ``results.*`` stays.

    Returns:
        tuple[str, str]: Paths of the CSV and the Markdown file.
    """
    grid_dir = osp.join(work_root, grid.name)
    records = collect_records(runs)
    metrics, stem = grid.metrics, 'results'
    if metric_patterns:
        metrics = select_metrics(metric_patterns, records)
        slug = re.sub(r'[^A-Za-z0-9]+', '_', '_'.join(metric_patterns))
        stem = f'results_{slug.strip("_") or "metrics"}'
    efficiency, notes = grid_efficiency(grid, runs, grid_dir, log)
    return write_reports(f'Ablation grid {grid.name}', records, metrics,
                         grid_dir, efficiency, notes, stem=stem)
