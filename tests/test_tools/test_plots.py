# Copyright (c) medproto contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.fileio import dump
from sklearn.metrics import confusion_matrix, recall_score

import medproto  # noqa: F401
from medproto.visualization import curve, labels_from_results
from medproto.visualization.curves import _default_legends, plot_curves

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def load_tool(name):
    path = osp.join(REPO, 'tools', 'analysis_tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'{name}_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_png(path):
    data = open(path, 'rb').read()
    assert data[:8] == PNG_MAGIC and len(data) > 1000


def write_scalars(path, num_iters=6, val_every=3, loss0=1.0):
    path.parent.mkdir(parents=True)
    with open(path, 'w') as f:
        for it in range(1, num_iters + 1):
            f.write(
                json.dumps(dict(lr=0.01, loss=loss0 / it, iter=it, step=it)) +
                '\n')
            if it % val_every == 0:
                f.write(json.dumps(dict(Dice=10.0 * it, step=it)) + '\n')
    return path


def test_plot_curves_tool(tmp_path):
    log_a = write_scalars(tmp_path / 'work_dirs' / 'run_a' / '20250101' /
                          'vis_data' / 'scalars.json')
    log_b = write_scalars(tmp_path / 'work_dirs' / 'run_b' / '20250102' /
                          'vis_data' / 'scalars.json',
                          loss0=2.0)
    out = tmp_path / 'curves.png'
    plotted = load_tool('plot_curves').main(
        [str(log_a),
         str(log_b), '--keys', 'loss', 'Dice', '--out',
         str(out)])
    assert_png(out)
    assert set(plotted['loss']) == {'run_a', 'run_b'}
    assert plotted['Dice']['run_a'] == ([3, 6], [30.0, 60.0])
    assert plotted['loss']['run_b'][1] == pytest.approx(
        [2.0 / it for it in range(1, 7)])


def test_plot_curves_unknown_key_is_a_clear_error(tmp_path, capsys):
    log = write_scalars(tmp_path / 'x' / 'scalars.json')
    with pytest.raises(SystemExit):
        load_tool('plot_curves').main(
            [str(log), '--keys', 'mIoU', '--out',
             str(tmp_path / 'c.png')])
    assert "key 'mIoU' is in none of the logs" in capsys.readouterr().err


def test_plot_curves_resumed_run_draws_every_log(tmp_path):
    run = tmp_path / 'work_dirs' / 'run_a'
    first = write_scalars(run / '20250101' / 'vis_data' / 'scalars.json')
    resumed = write_scalars(run / '20250102' / 'vis_data' / 'scalars.json',
                            loss0=2.0)
    plotted = load_tool('plot_curves').main(
        [str(first), str(resumed), '--out',
         str(tmp_path / 'c.png')])
    assert list(plotted['loss']) == ['run_a (20250101)', 'run_a (20250102)']
    assert plotted['loss']['run_a (20250102)'][1][0] == 2.0


def test_default_legends_fall_back_to_numbers(tmp_path):
    logs = [
        write_scalars(tmp_path / name / 'scalars.json')
        for name in ('a/x', 'b/x', 'c/y')
    ]
    same = [str(logs[0])] * 2 + [str(logs[2])]
    assert _default_legends(same) == ['x', 'x #2', 'y']
    assert _default_legends([str(p) for p in logs]) == ['x', 'x #2', 'y']


def test_plot_curves_duplicate_legends_are_refused(tmp_path, capsys):
    log_a = write_scalars(tmp_path / 'a' / 'scalars.json')
    log_b = write_scalars(tmp_path / 'b' / 'scalars.json')
    with pytest.raises(ValueError, match="legend 'same' is given more"):
        plot_curves([str(log_a), str(log_b)], ['loss'],
                    str(tmp_path / 'c.png'),
                    legends=['same', 'same'])
    with pytest.raises(SystemExit):
        load_tool('plot_curves').main([
            str(log_a),
            str(log_b), '--legend', 'same', 'same', '--out',
            str(tmp_path / 'c.png')
        ])
    assert "legend 'same' is given more than once" in capsys.readouterr().err


def test_curve_skips_records_without_key():
    records = [
        dict(loss=1.0, step=1),
        dict(Dice=5.0, step=1),
        dict(loss=0.5, step=2)
    ]
    assert curve(records, 'loss') == ([1, 2], [1.0, 0.5])


def make_dump(num=40, num_classes=4, seed=0, with_scores=True):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, num)
    scores = rng.random((num, num_classes)).astype(np.float32)
    scores[np.arange(num), labels] += 0.5
    results = []
    for y, s in zip(labels, scores):
        sample = dict(gt_label=torch.tensor([y]),
                      pred_label=torch.tensor([int(s.argmax())]))
        if with_scores:
            sample['pred_score'] = torch.from_numpy(s)
        results.append(sample)
    return results, labels, scores.argmax(1)


@pytest.mark.parametrize('with_scores', [True, False])
def test_confusion_matrix_tool(tmp_path, with_scores):
    results, labels, preds = make_dump(with_scores=with_scores)
    dump(results, str(tmp_path / 'results.pkl'))
    out = tmp_path / 'cm.png'
    cm = load_tool('confusion_matrix').main([
        str(tmp_path / 'results.pkl'), '--class-names', 'a', 'b', 'c', 'd',
        '--out',
        str(out)
    ])
    assert_png(out)
    np.testing.assert_array_equal(
        cm, confusion_matrix(labels, preds, labels=range(4)))
    np.testing.assert_allclose(
        np.diag(cm) / cm.sum(1), recall_score(labels, preds, average=None))


def test_confusion_matrix_wrong_class_names(tmp_path, capsys):
    results, _, _ = make_dump()
    dump(results, str(tmp_path / 'results.pkl'))
    with pytest.raises(SystemExit):
        load_tool('confusion_matrix').main([
            str(tmp_path / 'results.pkl'), '--class-names', 'a', '--out',
            str(tmp_path / 'cm.png')
        ])
    assert 'got 1 class names for 4 classes' in capsys.readouterr().err


def test_labels_from_results_needs_predictions():
    with pytest.raises(KeyError, match='pred_score nor pred_label'):
        labels_from_results([dict(gt_label=torch.tensor([0]))])
