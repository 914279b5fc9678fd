# Copyright (c) medproto contributors. All rights reserved.
"""Read the metrics of finished runs and tabulate them.

* :func:`read_test_metrics` finds the JSON file ``tools/test.py`` leaves in
  its work dir (mmengine's ``LoggerHook`` dumps the test metrics to
  ``<work_dir>/<timestamp>/<timestamp>.json``);
* :func:`write_runs_csv` writes one row per run;
* :func:`summarize` and :func:`format_markdown` give mean ± std over seeds
  per config; :func:`write_reports` writes both files;
* :func:`measure_efficiency` adds params, MACs and CPU latency per config.
"""
import csv
import glob
import json
import os
import os.path as osp
import statistics
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = ['RunRecord', 'ConfigSummary', 'read_test_metrics', 'mean_std',
           'write_runs_csv', 'summarize', 'format_markdown',
           'measure_efficiency', 'write_reports', 'EFFICIENCY_COLUMNS']

# Non-metric entries mmengine puts next to the metrics.
_NOT_METRICS = ('time', 'data_time', 'step', 'iter', 'epoch', 'memory')

# (key in the efficiency dict, column title, scale of the shown value)
EFFICIENCY_COLUMNS: Tuple[Tuple[str, str, float], ...] = (
    ('params', 'Params (M)', 1e-6),
    ('macs', 'MACs (G)', 1e-9),
    ('latency_ms', 'CPU latency (ms)', 1.0),
)


@dataclass
class RunRecord:
    """The outcome of one run (one config and one seed).

    Args:
        label (str): Short name of the config in the grid.
        config (str): Config path.
        seed (int): Random seed.
        status (str): ``'done'``, ``'failed'``, ``'interrupted'`` (a
            checkpoint but no result) or ``'pending'`` (not started).
        work_dir (str): The run's work dir.
        metrics (dict[str, float]): Test metrics (``'done'`` runs).
        checkpoint (str): The evaluated checkpoint.
        elapsed_s (float): Seconds spent training and testing.
        message (str): Why a run failed.
    """
    label: str
    config: str
    seed: int
    status: str
    work_dir: str
    metrics: Dict[str, float] = field(default_factory=dict)
    checkpoint: str = ''
    elapsed_s: float = 0.0
    message: str = ''


@dataclass
class ConfigSummary:
    """Mean and std of each metric over the finished seeds of a config."""
    label: str
    config: str
    num_done: int
    num_runs: int
    stats: Dict[str, Tuple[float, float]]


def read_test_metrics(test_work_dir: str,
                      newer_than: float = 0.0) -> Dict[str, float]:
    """The metrics ``tools/test.py`` wrote under ``test_work_dir``.

    The newest ``<timestamp>/<timestamp>.json`` modified after
    ``newer_than`` is read; its last line that is a JSON object holds the
    metrics. Timing entries (``time``, ``data_time``, ...) and non-numeric
    values are dropped.

    Args:
        test_work_dir (str): The ``--work-dir`` given to ``tools/test.py``.
        newer_than (float): Ignore files older than this (``time.time()``
            before the test started). Defaults to 0.

    Returns:
        dict[str, float]: Metric name to value.

    Raises:
        FileNotFoundError: When no such file exists.
    """
    candidates = [
        path for path in glob.glob(osp.join(test_work_dir, '*', '*.json'))
        if osp.basename(path) == osp.basename(osp.dirname(path)) + '.json'
        and osp.getmtime(path) >= newer_than
    ]
    if not candidates:
        raise FileNotFoundError(
            f'tools/test.py wrote no metrics file <timestamp>/<timestamp>'
            f'.json under {test_work_dir}')
    path = max(candidates, key=osp.getmtime)
    found: Optional[dict] = None
    with open(path, encoding='utf-8') as f:
        for line in f:
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                found = value
    if found is None:
        raise FileNotFoundError(f'no metrics in {path}')
    return {
        key: float(value)
        for key, value in found.items() if key not in _NOT_METRICS
        and isinstance(value, (int, float)) and not isinstance(value, bool)
    }


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value).

    Args:
        values (Sequence[float]): At least one value.

    Returns:
        tuple[float, float]: ``(mean, std)``.
    """
    if not values:
        raise ValueError('mean_std needs at least one value')
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), std


def write_runs_csv(records: Sequence[RunRecord],
                   metric_keys: Sequence[str],
                   path: str,
                   efficiency: Optional[Dict[str, dict]] = None) -> None:
    """Write one CSV row per run.

    Args:
        records (Sequence[RunRecord]): The runs.
        metric_keys (Sequence[str]): Metric columns, in order.
        path (str): Output file.
        efficiency (dict[str, dict], optional): Per label, the efficiency
            numbers (keys of :data:`EFFICIENCY_COLUMNS`).
    """
    eff_keys = [key for key, *_ in EFFICIENCY_COLUMNS] if efficiency else []
    header = ['label', 'config', 'seed', 'status', *metric_keys, *eff_keys,
              'elapsed_s', 'checkpoint', 'work_dir', 'message']
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for rec in records:
            eff = (efficiency or {}).get(rec.label) or {}
            writer.writerow([
                rec.label, rec.config, rec.seed, rec.status,
                *(rec.metrics.get(key, '') for key in metric_keys),
                *(eff.get(key, '') for key in eff_keys),
                f'{rec.elapsed_s:.1f}', rec.checkpoint, rec.work_dir,
                rec.message
            ])


def summarize(records: Sequence[RunRecord],
              metric_keys: Sequence[str]) -> List[ConfigSummary]:
    """Mean ± std over the ``'done'`` seeds of each label, in grid order.

    Args:
        records (Sequence[RunRecord]): The runs.
        metric_keys (Sequence[str]): Metrics to summarise.

    Returns:
        list[ConfigSummary]: One per label.
    """
    labels = list(dict.fromkeys(rec.label for rec in records))
    summaries = []
    for label in labels:
        runs = [rec for rec in records if rec.label == label]
        done = [rec for rec in runs if rec.status == 'done']
        stats = {}
        for key in metric_keys:
            values = [rec.metrics[key] for rec in done if key in rec.metrics]
            if values:
                stats[key] = mean_std(values)
        summaries.append(
            ConfigSummary(label, runs[0].config, len(done), len(runs), stats))
    return summaries


def _column_digits(summaries: Sequence[ConfigSummary], key: str) -> int:
    """4 decimals for a column whose means are all below 1 (ratios), else 2
    (percentages): one precision per column, so that a recall of 0.42 % in
    a column of percentages is not printed as a ratio."""
    means = [s.stats[key][0] for s in summaries if key in s.stats]
    return 4 if means and all(abs(m) < 1 for m in means) else 2


def _fmt_mean_std(mean: float, std: float, num: int = 2,
                  digits: int = 2) -> str:
    """``mean ± std`` with ``digits`` decimals; the mean alone for a single
    seed (``num == 1``), whose spread is unknown, not 0."""
    if num == 1:
        return f'{mean:.{digits}f}'
    return f'{mean:.{digits}f} ± {std:.{digits}f}'


def format_markdown(summaries: Sequence[ConfigSummary],
                    metric_keys: Sequence[str],
                    title: str,
                    efficiency: Optional[Dict[str, dict]] = None,
                    notes: Sequence[str] = ()) -> str:
    """A Markdown table: one row per config, ``mean ± std`` per metric.

    Args:
        summaries (Sequence[ConfigSummary]): From :func:`summarize`.
        metric_keys (Sequence[str]): Metric columns.
        title (str): Heading above the table.
        efficiency (dict[str, dict], optional): Per label, the efficiency
            numbers; adds the :data:`EFFICIENCY_COLUMNS`.
        notes (Sequence[str]): Lines printed under the table.

    Returns:
        str: The Markdown text.
    """
    columns = ['config', 'seeds done', *metric_keys]
    if efficiency:
        columns += [name for _, name, _ in EFFICIENCY_COLUMNS]
    lines = [f'# {title}', '', '| ' + ' | '.join(columns) + ' |',
             '|' + '---|' * len(columns)]
    digits = {key: _column_digits(summaries, key) for key in metric_keys}
    for summary in summaries:
        cells = [summary.label, f'{summary.num_done}/{summary.num_runs}']
        for key in metric_keys:
            if key in summary.stats:
                cells.append(_fmt_mean_std(*summary.stats[key],
                                           num=summary.num_done,
                                           digits=digits[key]))
            else:
                cells.append('-')
        if efficiency:
            eff = efficiency.get(summary.label) or {}
            for key, _, scale in EFFICIENCY_COLUMNS:
                value = eff.get(key)
                cells.append('-' if value is None else f'{value * scale:.3g}')
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines.append('')
    lines.append('Mean ± sample standard deviation over the finished seeds '
                 '(the value alone where one seed finished).')
    lines += list(notes)
    return '\n'.join(lines) + '\n'


def measure_efficiency(config: str,
                       cfg_options: Dict[str, object],
                       input_shape: Sequence[int],
                       cache_file: str) -> dict:
    """Params, MACs and CPU latency (batch 1) of a config's model.

    The model (the student of a distiller) is built in this process. The
    numbers are cached in ``cache_file`` and read from there next time.

    Args:
        config (str): Config path.
        cfg_options (dict): Overrides, ``{'a.b': value}``.
        input_shape (Sequence[int]): ``(C, H, W)``.
        cache_file (str): JSON cache.

    Returns:
        dict: ``params``, ``macs`` and ``latency_ms``.

    Raises:
        ImportError: When :mod:`medproto.utils.efficiency` is missing.
    """
    if osp.isfile(cache_file):
        with open(cache_file, encoding='utf-8') as f:
            cached = json.load(f)
        if cached.get('input_shape') == list(input_shape):
            return cached
    from medproto.utils.efficiency import (count_flops, count_params,
                                           measure_latency)

    from .model_loading import build_model_from_config, unwrap_student
    options = {k: v for k, v in cfg_options.items()
               if not k.startswith('randomness.')}
    model = unwrap_student(build_model_from_config(config, options))
    latency = measure_latency(model, input_shape, batch_sizes=(1, ),
                              warmup=3, iters=20)
    numbers = dict(
        params=count_params(model),
        macs=count_flops(model, input_shape),
        latency_ms=latency[1]['median_ms'],
        input_shape=list(input_shape))
    os.makedirs(osp.dirname(osp.abspath(cache_file)), exist_ok=True)
    with open(cache_file, 'w', encoding='utf-8') as f:
        json.dump(numbers, f, indent=2)
    return numbers


def write_reports(title: str,
                  records: Sequence[RunRecord],
                  metric_keys: Sequence[str],
                  out_dir: str,
                  efficiency: Optional[Dict[str, dict]] = None,
                  notes: Sequence[str] = (),
                  stem: str = 'results') -> Tuple[str, str]:
    """Write ``<stem>.csv`` (one row per run) and ``<stem>.md`` (mean ±
    std per config) into ``out_dir``.

    Args:
        title (str): Heading of the Markdown file.
        records (Sequence[RunRecord]): The runs.
        metric_keys (Sequence[str]): Metric columns; empty means every
            metric found in the finished runs.
        out_dir (str): Output folder.
        efficiency (dict[str, dict], optional): Per label, the numbers of
            :func:`measure_efficiency`.
        notes (Sequence[str]): Lines under the Markdown table.
        stem (str): File name of both reports, without extension.

    Returns:
        tuple[str, str]: Paths of the CSV and the Markdown file.
    """
    if not metric_keys:
        metric_keys = list(dict.fromkeys(
            key for rec in records for key in rec.metrics))
    os.makedirs(out_dir, exist_ok=True)
    csv_path = osp.join(out_dir, f'{stem}.csv')
    md_path = osp.join(out_dir, f'{stem}.md')
    write_runs_csv(records, metric_keys, csv_path, efficiency)
    failed = [f'{rec.label} seed {rec.seed}' for rec in records
              if rec.status == 'failed']
    if failed:
        notes = [*notes,
                 f'Failed runs (see results.csv): {", ".join(failed)}.']
    text = format_markdown(summarize(records, metric_keys), metric_keys,
                           title, efficiency, notes)
    with open(md_path, 'w', encoding='utf-8') as f:
        f.write(text)
    return csv_path, md_path
