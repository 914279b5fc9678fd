# Copyright (c) medproto contributors. All rights reserved.
"""The ablation runner: a toy grid of 2 configs x 2 seeds trained with the
real ``tools/train.py`` / ``tools/test.py``.

To keep the tests fast the tools run in this process (``runpy``) instead of
in subprocesses; the toy model, dataset and metric come from
``tests/data/toy_plugin/medproto_toy_plugin.py``.
"""
import csv
import json
import os
import os.path as osp
import runpy
import statistics
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from typing import List

import pytest
from mmengine.config import DictAction
from mmengine.utils import ManagerMixin

from medproto.utils.ablation import (DONE_MARKER, FAILED_MARKER,
                                     collect_records, find_checkpoint, report,
                                     run_grid, run_state, subprocess_launcher)
from medproto.utils.ablation_grid import (format_cfg_options, load_grid,
                                          plan_runs, select_runs, with_seeds)
from medproto.utils.cli import ConfigError
from medproto.utils.results import mean_std, read_test_metrics

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS_DIR = osp.join(ROOT, 'tools')
PLUGIN_DIR = osp.join(ROOT, 'tests', 'data', 'toy_plugin')

TOY_CFG = """
custom_imports = dict(imports=['medproto_toy_plugin'],
                      allow_failed_imports=False)
model = dict(type='ToyRegressor', fail={fail})
_loader = dict(batch_size=4, num_workers=0,
               dataset=dict(type='ToyRegressionDataset'),
               sampler=dict(type='DefaultSampler', shuffle=False),
               collate_fn=dict(type='default_collate'))
# 16 samples: 4 iterations never exhaust the loader (mmengine sleeps 2 s
# when it restarts an iteration-based loader)
train_dataloader = dict(_loader, dataset=dict(type='ToyRegressionDataset',
                                              num_samples=16))
val_dataloader = _loader
test_dataloader = _loader
val_evaluator = dict(type='ToyErrorMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=4,
                    save_best='mae', rule='less'))
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
"""

GRID = """
name = 'toy'
configs = [
    dict(config='{a}', label='a'),
    dict(config='{b}', label='b',
         cfg_options=dict(optim_wrapper=dict(optimizer=dict(lr=0.1)))),
]
seeds = [0, 1]
cfg_options = dict(train_cfg=dict(max_iters=4))
metrics = ['mae', 'mean_pred']
efficiency = {efficiency}
input_shape = (1, 2, 2)
"""


def _reset_mmengine() -> None:
    """Forget mmengine's named singletons (loggers, message hubs, ...) so
    that two runs in the same second do not share them."""
    stack = [ManagerMixin]
    while stack:
        cls = stack.pop()
        stack += cls.__subclasses__()
        for instance in cls.__dict__.get('_instance_dict', {}).values():
            for handler in getattr(instance, 'handlers', []):
                handler.close()
        if '_instance_dict' in cls.__dict__:
            cls._instance_dict.clear()


def inprocess_launcher(argv: List[str], log_file: str) -> int:
    """Run a tool script in this process, like ``python *argv``."""
    saved_argv, saved_path = sys.argv, list(sys.path)
    _reset_mmengine()
    with open(log_file, 'a') as log, redirect_stdout(log), \
            redirect_stderr(log):
        sys.argv = list(argv)
        try:
            runpy.run_path(argv[0], run_name='__main__')
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except Exception:  # noqa: BLE001  (a crash is a failed run)
            traceback.print_exc()
            code = 1
        finally:
            sys.argv, sys.path[:] = saved_argv, saved_path
            _reset_mmengine()
    return code


class SpyLauncher:
    """Records every command, then runs it in-process."""

    def __init__(self) -> None:
        self.calls: List[List[str]] = []

    def __call__(self, argv: List[str], log_file: str) -> int:
        self.calls.append(list(argv))
        return inprocess_launcher(argv, log_file)


def _write(path, text: str) -> str:
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


@pytest.fixture
def toy_grid(tmp_path, monkeypatch):
    """A grid file of two toy configs; returns (grid path, work root)."""
    monkeypatch.syspath_prepend(PLUGIN_DIR)
    monkeypatch.chdir(tmp_path)
    a = _write(tmp_path / 'toy_a.py', TOY_CFG.format(fail=False))
    b = _write(tmp_path / 'toy_b.py', TOY_CFG.format(fail=False))
    grid = _write(tmp_path / 'grid.py',
                  GRID.format(a=a, b=b, efficiency=False))
    return grid, str(tmp_path / 'work')


@pytest.fixture
def finished_grid(toy_grid):
    """The toy grid after one full run; returns (grid, runs, work root)."""
    grid_file, work_root = toy_grid
    grid = load_grid(grid_file)
    runs = plan_runs(grid, work_root)
    records = run_grid(runs, TOOLS_DIR, grid.metrics, inprocess_launcher,
                       log=lambda line: None)
    assert [r.status for r in records] == ['done'] * 4, records
    return grid, runs, work_root


def _read_csv(path: str) -> List[dict]:
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def test_grid_writes_csv_and_mean_std(finished_grid):
    grid, runs, work_root = finished_grid
    csv_path, md_path = report(grid, runs, work_root, log=lambda line: None)
    rows = _read_csv(csv_path)
    assert [(r['label'], r['seed'], r['status']) for r in rows] == [
        ('a', '0', 'done'), ('a', '1', 'done'), ('b', '0', 'done'),
        ('b', '1', 'done')]
    for row, spec in zip(rows, runs):
        saved = json.load(open(osp.join(spec.work_dir, DONE_MARKER)))
        assert float(row['mae']) == pytest.approx(saved['metrics']['mae'])
        assert osp.basename(row['checkpoint']).startswith('best_mae_')
    # seeds give different models, so the std is not zero
    maes = [float(r['mae']) for r in rows if r['label'] == 'a']
    assert maes[0] != maes[1]
    mean, std = statistics.fmean(maes), statistics.stdev(maes)
    text = open(md_path).read()
    line = next(ln for ln in text.splitlines() if ln.startswith('| a |'))
    assert '2/2' in line
    digits = 4 if abs(mean) < 1 else 2
    assert f'{mean:.{digits}f} ± {std:.{digits}f}' in line


def test_report_with_other_metric_columns(finished_grid):
    grid, runs, work_root = finished_grid
    found = list(collect_records(runs)[0].metrics)
    csv_path, md_path = report(grid, runs, work_root, log=lambda line: None,
                               metric_patterns=['mean_*'])
    assert osp.basename(md_path) == 'results_mean.md'
    assert osp.basename(csv_path) == 'results_mean.csv'
    header = open(md_path).read().splitlines()[2]
    wanted = [key for key in found if key.startswith('mean_')]
    assert wanted and len(wanted) < len(found)
    assert all(f' {key} ' in header for key in wanted)
    assert all(f' {key} ' not in header for key in found
               if key not in wanted)
    with pytest.raises(ConfigError, match="'nope\\*' matches no metric"):
        report(grid, runs, work_root, log=lambda line: None,
               metric_patterns=['nope*'])


def test_finished_runs_are_skipped(finished_grid):
    grid, runs, _ = finished_grid
    spy = SpyLauncher()
    lines = []
    records = run_grid(runs, TOOLS_DIR, grid.metrics, spy, log=lines.append)
    assert spy.calls == []
    assert all('skipped' in line for line in lines)
    assert [r.status for r in records] == ['done'] * 4


def test_interrupted_run_is_resumed(finished_grid):
    grid, runs, _ = finished_grid
    spec = runs[1]
    before = json.load(open(osp.join(spec.work_dir, DONE_MARKER)))
    os.remove(osp.join(spec.work_dir, DONE_MARKER))
    assert run_state(spec.work_dir) == 'resume'
    assert collect_records([spec])[0].status == 'interrupted'

    spy = SpyLauncher()
    records = run_grid(runs, TOOLS_DIR, grid.metrics, spy,
                       log=lambda line: None)
    assert len(spy.calls) == 2  # train + test of the one interrupted run
    train, test = spy.calls
    assert train[0].endswith('train.py') and '--resume' in train
    assert 'randomness.seed=1' in train
    assert test[0].endswith('test.py') and test[2].endswith('.pth')
    assert records[1].status == 'done'
    # training had finished: resuming reproduces the same checkpoint
    assert records[1].metrics['mae'] == pytest.approx(before['metrics']['mae'])


def test_failed_run_is_recorded_and_grid_continues(toy_grid, tmp_path):
    grid_file, work_root = toy_grid
    broken = _write(tmp_path / 'toy_broken.py', TOY_CFG.format(fail=True))
    good = str(tmp_path / 'toy_a.py')
    grid_file = _write(
        tmp_path / 'grid_fail.py',
        f"configs = ['{broken}', '{good}']\nseeds = [0]\nmetrics = ['mae']\n")
    grid = load_grid(grid_file)
    runs = plan_runs(grid, work_root)
    lines = []
    records = run_grid(runs, TOOLS_DIR, grid.metrics, inprocess_launcher,
                       log=lines.append)
    assert [r.status for r in records] == ['failed', 'done']
    assert 'asked to fail' in records[0].message
    assert any('FAILED' in line for line in lines)
    assert osp.isfile(osp.join(runs[0].work_dir, FAILED_MARKER))
    csv_path, md_path = report(grid, runs, work_root, log=lambda line: None)
    assert [r['status'] for r in _read_csv(csv_path)] == ['failed', 'done']
    assert 'Failed runs (see results.csv): toy_broken seed 0' in open(
        md_path).read()


def test_efficiency_columns_and_missing_module(toy_grid, monkeypatch):
    grid_file, work_root = toy_grid
    with open(grid_file) as f:
        text = f.read().replace('efficiency = False', 'efficiency = True')
    _write(grid_file, text)
    grid = load_grid(grid_file)
    runs = plan_runs(grid, work_root)
    _, md_path = report(grid, runs, work_root, log=lambda line: None)
    table = open(md_path).read()
    assert 'Params (M)' in table and 'CPU latency (ms)' in table
    cache = json.load(open(osp.join(work_root, 'toy', 'a', 'efficiency.json')))
    assert cache['params'] == 5 and cache['macs'] == 4  # Linear(4, 1)
    assert '| a | 0/2 |' in table  # nothing trained yet

    for label in ('a', 'b'):
        os.remove(osp.join(work_root, 'toy', label, 'efficiency.json'))
    monkeypatch.setitem(sys.modules, 'medproto.utils.efficiency', None)
    _, md_path = report(grid, runs, work_root, log=lambda line: None)
    table = open(md_path).read()
    assert 'Params (M)' not in table
    assert 'Efficiency columns omitted' in table


def test_plan_merges_overrides_in_order(toy_grid):
    grid = load_grid(toy_grid[0])
    runs = plan_runs(grid, 'w', {'optim_wrapper.optimizer.lr': 0.5,
                                 'randomness.seed': 99})
    assert [(r.label, r.seed) for r in runs] == [('a', 0), ('a', 1),
                                                 ('b', 0), ('b', 1)]
    assert runs[2].work_dir == osp.join('w', 'toy', 'b', 'seed0')
    assert runs[2].cfg_options['train_cfg.max_iters'] == 4
    assert runs[2].cfg_options['optim_wrapper.optimizer.lr'] == 0.5
    assert runs[2].cfg_options['randomness.seed'] == 0  # the seed wins
    assert load_grid(toy_grid[0]).entries[1].cfg_options == {
        'optim_wrapper.optimizer.lr': 0.1}
    assert select_runs(runs, ['b']) == runs[2:]
    with pytest.raises(ConfigError, match='not a label'):
        select_runs(runs, ['c'])


def test_seeds_override(toy_grid, monkeypatch, capsys):
    grid = load_grid(toy_grid[0])
    assert with_seeds(grid, None) is grid
    runs = plan_runs(with_seeds(grid, [42]), 'w')
    assert [(r.label, r.seed) for r in runs] == [('a', 42), ('b', 42)]
    assert runs[0].cfg_options['randomness.seed'] == 42
    assert runs[0].work_dir == osp.join('w', 'toy', 'a', 'seed42')
    with pytest.raises(ConfigError, match='distinct'):
        with_seeds(grid, [1, 1])
    code, out, _ = _run_cli(monkeypatch, capsys, grid.path, '--work-root',
                            'w', '--dry-run', '--seeds', '7')
    assert code == 0 and len(out.strip().splitlines()) == 2
    assert 'randomness.seed=7' in out and 'seed=0' not in out


def test_format_cfg_options_round_trip():
    options = {'a.b': [1, 2.5], 'c': (3, ), 'd': True, 'e': None,
               'f': 'SGD', 'g': []}
    parsed = {}
    for item in format_cfg_options(options):
        key, value = item.split('=', 1)
        parsed[key] = DictAction._parse_iterable(value)
    assert parsed == options
    with pytest.raises(ConfigError, match='cannot be passed'):
        format_cfg_options({'work_dir': 'a b'})


@pytest.mark.parametrize('body, message', [
    ("configs = ['{a}', 'missing1.py', 'missing2.py']",
     '2 config.*missing1.py, missing2.py'),
    ("configs = ['{a}']\nsedes = [0]", 'unknown key'),
    ("configs = ['{a}', '{a}']", 'used twice'),
    ("configs = ['{a}']\nseeds = [0, 0]", 'distinct ints'),
    ("configs = [dict(config='{a}', lable='x')]", 'unknown key'),
    ("configs = ['{a}']\ninput_shape = (256, 256)", 'input_shape'),
    ('seeds = [0]', 'no `configs`'),
])
def test_load_grid_errors(tmp_path, body, message):
    a = _write(tmp_path / 'a.py', 'model = dict()\n')
    grid = _write(tmp_path / 'bad.py', body.format(a=a) + '\n')
    with pytest.raises(ConfigError, match=message):
        load_grid(grid)
    with pytest.raises(ConfigError, match='grid file not found'):
        load_grid(str(tmp_path / 'nope.py'))


def test_find_checkpoint_and_read_metrics(tmp_path):
    run = tmp_path / 'run'
    run.mkdir()
    assert find_checkpoint(str(run)) is None and run_state(str(run)) == 'new'
    _write(run / 'iter_4.pth', '')
    _write(run / 'last_checkpoint', str(run / 'iter_4.pth'))
    assert find_checkpoint(str(run)) == str(run / 'iter_4.pth')
    _write(run / 'best_Dice_iter_2.pth', '')
    assert find_checkpoint(str(run)).endswith('best_Dice_iter_2.pth')

    with pytest.raises(FileNotFoundError, match='no metrics file'):
        read_test_metrics(str(run))
    (run / '20250101_000000').mkdir()
    _write(run / '20250101_000000' / '20250101_000000.json',
           '{"Dice": 80.5, "time": 0.1, "note": "x"}\n')
    assert read_test_metrics(str(run)) == {'Dice': 80.5}


def test_single_seed_shows_the_value_without_a_spread():
    from medproto.utils.results import ConfigSummary, format_markdown
    one = ConfigSummary('a', 'a.py', 1, 1, {'Dice': (51.4, 0.0)})
    two = ConfigSummary('b', 'b.py', 2, 2, {'Dice': (50.0, 1.5)})
    text = format_markdown([one, two], ['Dice'], 'grid')
    assert '| a | 1/1 | 51.40 |' in text
    assert '| b | 2/2 | 50.00 ± 1.50 |' in text


def test_precision_is_chosen_per_column():
    """A percentage below 1 stays a percentage; a column of ratios keeps
    four decimals."""
    from medproto.utils.results import ConfigSummary, format_markdown
    rows = [
        ConfigSummary('a', 'a.py', 1, 1, {'few': (0.41667, 0.0),
                                          'ratio': (0.5, 0.0)}),
        ConfigSummary('b', 'b.py', 1, 1, {'few': (90.0, 0.0),
                                          'ratio': (0.25, 0.0)}),
    ]
    text = format_markdown(rows, ['few', 'ratio'], 'grid')
    assert '| a | 1/1 | 0.42 | 0.5000 |' in text
    assert '| b | 1/1 | 90.00 | 0.2500 |' in text


def test_mean_std():
    assert mean_std([1.0]) == (1.0, 0.0)
    assert mean_std([1.0, 3.0]) == (2.0, pytest.approx(2 ** 0.5))
    with pytest.raises(ValueError):
        mean_std([])


def test_subprocess_launcher_logs_command_and_status(tmp_path):
    script = _write(tmp_path / 'job.py',
                    'import sys\nprint("hello")\nsys.exit(3)\n')
    log = str(tmp_path / 'job.log')
    assert subprocess_launcher([script], log) == 3
    text = open(log).read()
    assert 'job.py' in text.splitlines()[0] and 'hello' in text


def _run_cli(monkeypatch, capsys, *argv: str) -> tuple:
    module = runpy.run_path(osp.join(TOOLS_DIR, 'ablation.py'),
                            run_name='ablation')
    monkeypatch.setattr(sys, 'argv', ['ablation.py', *argv])
    try:
        code = module['main']()
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_dry_run_and_collect_only(finished_grid, monkeypatch, capsys):
    grid, runs, work_root = finished_grid
    os.remove(osp.join(runs[3].work_dir, DONE_MARKER))
    code, out, _ = _run_cli(monkeypatch, capsys, grid.path, '--work-root',
                            work_root, '--dry-run', '--only', 'b')
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 2 and '(done)' in lines[0]
    assert '(resume)' in lines[1] and 'randomness.seed=1' in lines[1]

    code, out, _ = _run_cli(monkeypatch, capsys, grid.path, '--work-root',
                            work_root, '--collect-only')
    assert code == 0 and '| b | 1/2 |' in out
    rows = _read_csv(osp.join(work_root, 'toy', 'results.csv'))
    assert [r['status'] for r in rows] == ['done'] * 3 + ['interrupted']

    code, _, err = _run_cli(monkeypatch, capsys, grid.path, '--only', 'zz')
    assert code == 1 and 'not a label' in err


@pytest.mark.parametrize('name', [
    'seg_distill_terms', 'cls_ablation', 'cls_ablation_lt10', 'distill_pairs'
])
def test_shipped_grids_load(name):
    path = osp.join(ROOT, 'configs', 'ablations', f'{name}.py')
    grid = load_grid(path)
    assert grid.name == name and grid.metrics and grid.efficiency
    assert len(grid.entries) >= 7 and grid.seeds == [0, 1, 2]


def test_lt10_grid_splits_every_config_into_three_groups():
    """At imbalance factor 10 no class is under the few-shot count threshold;
    the lt10 configs cut by rank, so each group has classes to report."""
    from mmengine.config import Config

    from medproto.evaluation.functional.classification import split_classes
    grid = load_grid(osp.join(ROOT, 'configs', 'ablations',
                              'cls_ablation_lt10.py'))
    labels = [e.label for e in grid.entries]
    lt100 = load_grid(osp.join(ROOT, 'configs', 'ablations',
                               'cls_ablation.py'))
    assert labels == [e.label for e in lt100.entries]
    for entry in grid.entries:
        cfg = Config.fromfile(osp.join(ROOT, entry.config))
        assert cfg.train_dataloader.dataset.imbalance_factor == 10, entry
        ev = cfg.val_evaluator
        groups = split_classes(ev.class_counts, split_by=ev.split_by)
        assert [len(groups[g]) for g in ('many', 'medium', 'few')] == [
            3, 3, 2
        ], entry.label
        # the count thresholds would have left the few group empty
        assert len(split_classes(ev.class_counts)['few']) == 0
