# Copyright (c) medproto contributors. All rights reserved.
"""tools/analysis_tools/compare_runs.py on synthetic tools/test.py dumps:
files mode (shuffled image order) and grid mode, against the metrics
computed directly."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.fileio import dump

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
COUNTS = [850, 440, 228, 118, 61, 31, 16, 8]  # PBC-LT100


def load_tool():
    path = osp.join(REPO, 'tools', 'analysis_tools', 'compare_runs.py')
    spec = importlib.util.spec_from_file_location('compare_runs_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dump(path, labels, preds, order):
    """A dump like DumpResults writes, in the image order ``order``."""
    samples = [dict(img_path=f'val/{labels[i]}/{i}.jpg', sample_idx=int(i),
                    gt_label=torch.tensor([labels[i]]),
                    pred_score=torch.nn.functional.one_hot(
                        torch.tensor(int(preds[i])), 8).float() * 0.9 + 0.01)
               for i in order]
    dump(samples, str(path))
    return str(path)


def _recalls(labels, preds):
    recall = np.array([np.mean(preds[labels == c] == c) for c in range(8)])
    return dict(top1=100 * np.mean(labels == preds),
                mean_recall=100 * recall.mean(),
                many_recall=100 * recall[:4].mean(),   # > 100 images
                medium_recall=100 * recall[4:6].mean(),
                few_recall=100 * recall[6:].mean())    # < 20 images


@pytest.fixture
def runs():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(8), 12)

    def model(accuracy):
        out = []
        for _ in range(3):
            preds = labels.copy()
            flip = rng.random(labels.size) > accuracy
            preds[flip] = rng.integers(0, 8, flip.sum())
            out.append(preds)
        return out
    return labels, model(0.9), model(0.5)


def test_files_mode_matches_direct_means(runs, tmp_path, capsys):
    labels, runs_a, runs_b = runs
    rng = np.random.default_rng(1)
    files_a = [_dump(tmp_path / f'a{s}.pkl', labels, p,
                     np.arange(labels.size)) for s, p in enumerate(runs_a)]
    files_b = [_dump(tmp_path / f'b{s}.pkl', labels, p,
                     rng.permutation(labels.size))  # another image order
               for s, p in enumerate(runs_b)]
    out_json = tmp_path / 'cmp.json'
    tool = load_tool()
    code = tool.main(['--a', *files_a, '--b', *files_b, '--class-counts',
                      *map(str, COUNTS), '--names', 'good', 'poor',
                      '--num-resamples', '300', '--json', str(out_json)])
    assert code == 0
    text = capsys.readouterr().out
    assert '96 images' in text and 'good ahead' in text
    saved = json.load(open(out_json))['results']
    for key in ('top1', 'mean_recall', 'many_recall', 'medium_recall',
                'few_recall'):
        mean_a = np.mean([_recalls(labels, p)[key] for p in runs_a])
        mean_b = np.mean([_recalls(labels, p)[key] for p in runs_b])
        assert saved[key]['mean_a'] == pytest.approx(mean_a)
        assert saved[key]['diff'] == pytest.approx(mean_a - mean_b)
        assert saved[key]['low'] <= saved[key]['diff'] <= saved[key]['high']
    assert saved['top1']['verdict'] == 'A ahead'


def test_grid_mode_reads_each_seed_and_the_groups_of_the_config(
        runs, tmp_path, capsys):
    labels, runs_a, runs_b = runs
    grid = tmp_path / 'grid.py'
    grid.write_text(
        "name = 'g'\nconfigs = [\n"
        "    dict(label='ce', config='configs/pbc/baselines/ce_lt100.py'),\n"
        "    dict(label='la', config='configs/pbc/baselines/la_lt100.py')]\n"
        "seeds = [42, 7, 0]\ndump_predictions = True\n")
    root = tmp_path / 'work'
    for label, preds in (('ce', runs_a), ('la', runs_b)):
        for seed, p in zip((42, 7, 0), preds):
            folder = root / 'g' / label / f'seed{seed}' / 'test'
            folder.mkdir(parents=True)
            _dump(folder / 'preds.pkl', labels, p, np.arange(labels.size))
    tool = load_tool()
    out_json = tmp_path / 'cmp.json'
    assert tool.main([str(grid), 'ce', 'la', '--work-root', str(root),
                      '--num-resamples', '200', '--json',
                      str(out_json)]) == 0
    text = capsys.readouterr().out
    assert 'A = ce (3 run(s)), B = la (3 run(s))' in text
    assert 'paired' in text and 'many > 100, few < 20' in text
    saved = json.load(open(out_json))
    mean_a = np.mean([_recalls(labels, p)['few_recall'] for p in runs_a])
    assert saved['results']['few_recall']['mean_a'] == pytest.approx(mean_a)
    # One seed only.
    assert tool.main([str(grid), 'ce', 'la', '--work-root', str(root),
                      '--seeds', '7', '--num-resamples', '200']) == 0
    assert '(1 run(s))' in capsys.readouterr().out
    # A run without predictions: the error gives the command that makes them.
    (root / 'g' / 'la' / 'seed0' / 'test' / 'preds.pkl').unlink()
    with pytest.raises(SystemExit) as exit_info:
        tool.main([str(grid), 'ce', 'la', '--work-root', str(root)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert 'no predictions for la seed 0' in err and 'tools/test.py' in err


def test_mismatched_dumps_are_one_clear_error(runs, tmp_path, capsys):
    labels, runs_a, runs_b = runs
    a = _dump(tmp_path / 'a.pkl', labels, runs_a[0], np.arange(labels.size))
    b = _dump(tmp_path / 'b.pkl', labels, runs_b[0], np.arange(50))
    tool = load_tool()
    with pytest.raises(SystemExit):
        tool.main(['--a', a, '--b', b, '--class-counts', *map(str, COUNTS)])
    assert 'cover different images' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main(['--a', a, '--b', a])
    assert '--config or --class-counts' in capsys.readouterr().err
