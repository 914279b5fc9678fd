# Copyright (c) medproto contributors. All rights reserved.
"""Grids with ``dump_predictions`` make tools/test.py dump each run's
predictions where compare_runs.py looks for them."""
import os.path as osp

from medproto.utils.ablation import evaluate_command, predictions_path
from medproto.utils.ablation_grid import load_grid, plan_runs


def _grid(tmp_path, extra=''):
    path = tmp_path / 'grid.py'
    path.write_text("configs = ['configs/pbc/baselines/ce_lt100.py']\n"
                    f"seeds = [3]\n{extra}")
    return load_grid(str(path))


def test_dump_predictions_adds_out(tmp_path):
    grid = _grid(tmp_path, 'dump_predictions = True\n')
    assert grid.dump_predictions
    run, = plan_runs(grid, str(tmp_path / 'work'))
    argv = evaluate_command(run, 'tools', 'best.pth')
    out = argv[argv.index('--out') + 1]
    assert out == predictions_path(run.work_dir) == osp.join(
        str(tmp_path / 'work'), 'grid', 'ce_lt100', 'seed3', 'test',
        'preds.pkl')
    assert argv[argv.index('--work-dir') + 1] == osp.dirname(out)


def test_default_grid_dumps_nothing(tmp_path):
    grid = _grid(tmp_path)
    assert not grid.dump_predictions
    run, = plan_runs(grid, str(tmp_path / 'work'))
    assert '--out' not in evaluate_command(run, 'tools', 'best.pth')
