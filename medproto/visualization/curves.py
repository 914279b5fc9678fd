# Copyright (c) medproto contributors. All rights reserved.
"""Training curves from mmengine's ``vis_data/scalars.json`` logs."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from matplotlib.figure import Figure

__all__ = ['load_scalars', 'curve', 'plot_curves', 'step_unit',
           'curriculum_switches']


def load_scalars(path: str) -> List[dict]:
    """Read a ``scalars.json`` log: one JSON dict per line.

    Args:
        path (str): The log file.

    Returns:
        list[dict]: One dict per logged step (training and validation).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'log file not found: {path}')
    records = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}:{number} is not a JSON line; '
                                 'expected vis_data/scalars.json from '
                                 'mmengine.') from err
    return records


def curve(records: Sequence[dict],
          key: str) -> Tuple[List[float], List[float]]:
    """``(steps, values)`` of one key over the records that log it.

    Args:
        records (Sequence[dict]): Output of :func:`load_scalars`.
        key (str): Scalar name, e.g. ``'loss'`` or ``'mDice'``.

    Returns:
        tuple[list[float], list[float]]: The ``step`` of each record that
        holds ``key`` (mmengine logs training scalars by iteration and
        validation scalars by epoch or iteration) and the values.
    """
    steps, values = [], []
    for index, record in enumerate(records):
        if key in record:
            steps.append(record.get('step', index))
            values.append(float(record[key]))
    return steps, values


def step_unit(records: Sequence[dict], key: str) -> str:
    """``'iteration'`` or ``'epoch'``: what the ``step`` of ``key`` counts.

    mmengine logs training scalars (records with an ``iter`` field) by
    iteration; validation metrics of an epoch-based run by epoch unless
    ``log_metric_by_epoch=False``. A key whose records carry no ``iter``,
    in a log whose training records carry an ``epoch``, and whose steps do
    not pass the last epoch, is taken as logged by epoch.

    Args:
        records (Sequence[dict]): Output of :func:`load_scalars`.
        key (str): Scalar name.

    Returns:
        str: The x-axis unit.
    """
    holding = [r for r in records if key in r]
    if not holding or all('iter' in r for r in holding):
        return 'iteration'
    epochs = [r['epoch'] for r in records if 'iter' in r and 'epoch' in r]
    if epochs and max(r.get('step', 0) for r in holding) <= max(epochs):
        return 'epoch'
    return 'iteration'


def curriculum_switches(records: Sequence[dict]) -> List[Tuple[float, int]]:
    """``(step, new stage)`` where ``curriculum_stage`` changes.

    :class:`~medproto.engine.hooks.CurriculumDistillHook` logs the stage
    at its current value; the switch is drawn at the first logged step of
    the new stage.

    Args:
        records (Sequence[dict]): Output of :func:`load_scalars`.

    Returns:
        list[tuple[float, int]]: One entry per switch.
    """
    switches, previous = [], None
    for record in records:
        if 'curriculum_stage' not in record:
            continue
        stage = int(round(float(record['curriculum_stage'])))
        if previous is not None and stage != previous:
            switches.append((record.get('step', 0), stage))
        previous = stage
    return switches


def plot_curves(log_files: Sequence[str],
                keys: Sequence[str],
                out_file: str,
                legends: Optional[Sequence[str]] = None,
                title: Optional[str] = None) -> Dict[str, Dict[str, tuple]]:
    """Plot each key in its own panel, one line per log file, to a PNG.

    Args:
        log_files (Sequence[str]): ``scalars.json`` files.
        keys (Sequence[str]): Scalar names to plot.
        out_file (str): Output image path (the extension picks the format).
        legends (Sequence[str], optional): One distinct label per log
            file; defaults to the work-dir name of each file, with the run's
            timestamp folder (or ``#2``, ...) added where two logs share a
            work dir, e.g. a resumed run.
        title (str, optional): Figure title.

    Returns:
        dict: ``{key: {legend: (steps, values)}}``, the plotted data.
    """
    if not log_files or not keys:
        raise ValueError('give at least one log file and one key.')
    if legends is None:
        legends = _default_legends(log_files)
    if len(legends) != len(log_files):
        raise ValueError(f'got {len(legends)} legends for {len(log_files)} '
                         'log files.')
    duplicates = sorted({x for x in legends if list(legends).count(x) > 1})
    if duplicates:
        raise ValueError(f"legend '{duplicates[0]}' is given more than once: "
                         'give one distinct legend per log file.')
    logs = {
        legend: load_scalars(path)
        for legend, path in zip(legends, log_files)
    }
    plotted: Dict[str, Dict[str, tuple]] = {}
    fig = Figure(figsize=(7, 2.8 * len(keys)), constrained_layout=True)
    axes = fig.subplots(len(keys), 1, squeeze=False)[:, 0]
    for ax, key in zip(axes, keys):
        plotted[key] = {}
        for legend, records in logs.items():
            steps, values = curve(records, key)
            if steps:
                ax.plot(steps,
                        values,
                        label=legend,
                        marker='o' if len(steps) < 30 else None)
                plotted[key][legend] = (steps, values)
        if not plotted[key]:
            available = sorted(
                {k
                 for r in next(iter(logs.values()))
                 for k in r} - {'step'})
            raise KeyError(f"key '{key}' is in none of the logs; keys of "
                           f'the first log: {available}')
        unit = step_unit(next(iter(logs.values())), key)
        if unit == 'iteration':
            for legend, records in logs.items():
                for step, stage in curriculum_switches(records):
                    ax.axvline(step, color='grey', linestyle='--',
                               linewidth=0.8)
                    ax.annotate(f'stage {stage}', (step, 1),
                                xycoords=('data', 'axes fraction'),
                                fontsize='x-small', va='top', ha='left')
        ax.set_xlabel(unit)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    if title:
        fig.suptitle(title)
    fig.savefig(out_file, dpi=120)
    return plotted


def _default_legends(log_files: Sequence[str]) -> List[str]:
    """Work-dir names; where several logs share one (a resumed run), the
    run's timestamp folder is appended, then ``#2``, ``#3``... if needed."""
    names = [_work_dir_name(path) for path in log_files]
    legends = []
    for name, path in zip(names, log_files):
        run = _run_name(path) if names.count(name) > 1 else None
        legends.append(f'{name} ({run})' if run else name)
    seen: Dict[str, int] = {}
    for i, legend in enumerate(legends):
        seen[legend] = seen.get(legend, 0) + 1
        if seen[legend] > 1:
            legends[i] = f'{legend} #{seen[legend]}'
    return legends


def _run_name(path: str) -> Optional[str]:
    """``work_dirs/NAME/<timestamp>/vis_data/scalars.json`` -> timestamp."""
    parts = osp.normpath(osp.abspath(path)).split(osp.sep)
    if len(parts) >= 4 and parts[-2] == 'vis_data':
        return parts[-3]
    return None


def _work_dir_name(path: str) -> str:
    """``work_dirs/NAME/<timestamp>/vis_data/scalars.json`` -> NAME."""
    parts = osp.normpath(osp.abspath(path)).split(osp.sep)
    if len(parts) >= 4 and parts[-2] == 'vis_data':
        return parts[-4]
    return osp.basename(osp.dirname(path)) or path
