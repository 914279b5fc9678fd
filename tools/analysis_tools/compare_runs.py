# Copyright (c) medproto contributors. All rights reserved.
"""Compare two classifiers with a paired bootstrap over evaluation images
and seeds: the mean difference and its interval for top-1, mean per-class
recall (balanced accuracy) and many / medium / few recall.

Two rows of an ablation grid (its runs must have dumped their predictions,
``dump_predictions = True`` in the grid file), every seed of the grid::

    python tools/analysis_tools/compare_runs.py \
        configs/ablations/cls_lt_baselines.py proto10_lt100 cbce_lt100

Or two sets of ``tools/test.py --out`` dumps, one per seed::

    python tools/analysis_tools/compare_runs.py --a a_s42.pkl a_s7.pkl \
        --b b_s42.pkl b_s7.pkl --config configs/pbc/baselines/ce_lt100.py

The groups (many / medium / few) come from the config's
``test_evaluator`` (``class_counts``, ``split_by``), or ``--class-counts``.
See docs/long_tail.md.
"""
import argparse
import json
import os.path as osp
import shlex
import sys
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
import mmengine  # noqa: E402
import numpy as np  # noqa: E402

from medproto.evaluation.functional import (  # noqa: E402
    SPLIT_BY, format_bootstrap_table, paired_bootstrap, split_classes)
from medproto.utils.ablation import (find_checkpoint,  # noqa: E402
                                     predictions_path)
from medproto.utils.ablation_grid import (load_grid,  # noqa: E402
                                          plan_runs, with_seeds)
from medproto.utils.cli import (ConfigError, add_debug_arg,  # noqa: E402
                                friendly_errors, load_config)

# (keys identifying the images, labels, predicted labels, num classes)
Predictions = Tuple[List, np.ndarray, np.ndarray, int]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Paired bootstrap comparison of two classifiers over '
        'evaluation images and seeds')
    parser.add_argument('grid_rows', nargs='*', metavar='ARG',
                        help='GRID LABEL_A LABEL_B: a grid file and two of '
                        'its labels (or nothing, with --a and --b)')
    parser.add_argument('--a', nargs='+', metavar='PKL',
                        help='model A: tools/test.py --out dumps, one per '
                        'seed')
    parser.add_argument('--b', nargs='+', metavar='PKL', help='model B')
    parser.add_argument('--names', nargs=2, metavar=('A', 'B'),
                        help='names of A and B in the table')
    parser.add_argument('--work-root', default='work_dirs/ablations',
                        help='the grid\'s --work-root')
    parser.add_argument('--seeds', nargs='+', type=int,
                        help='compare these seeds of the grid only')
    parser.add_argument('--config', help='config whose test_evaluator gives '
                        'class_counts and split_by (files mode)')
    parser.add_argument('--class-counts', nargs='+', type=int,
                        help='training images per class (instead of '
                        '--config)')
    parser.add_argument('--split-by', choices=SPLIT_BY, default='count',
                        help='with --class-counts: how groups are cut')
    parser.add_argument('--num-resamples', type=int, default=2000)
    parser.add_argument('--level', type=float, default=0.95,
                        help='coverage of the interval')
    parser.add_argument('--fixed-seeds', action='store_true',
                        help='average every seed in each resample instead '
                        'of drawing the seeds too')
    parser.add_argument('--pair-seeds', action='store_true',
                        help='files mode: the i-th files of A and B share a '
                        'seed (the grid mode pairs by seed)')
    parser.add_argument('--rng-seed', type=int, default=0)
    parser.add_argument('--json', help='also write the results to this file')
    add_debug_arg(parser)
    return parser.parse_args(argv)


def load_predictions(path: str) -> Predictions:
    """Image keys (``img_path``, else ``sample_idx``), labels and arg-max
    predictions of a ``tools/test.py --out`` dump."""
    if not osp.isfile(path):
        raise ConfigError(f'predictions file not found: {path}')
    results = mmengine.load(path)
    if not isinstance(results, list) or not results:
        raise ConfigError(f'{path} holds no predictions (expected the list '
                          'tools/test.py --out writes)')
    keys, labels, preds, num_classes = [], [], [], 0
    for i, sample in enumerate(results):
        if 'gt_label' not in sample or 'pred_score' not in sample:
            raise ConfigError(f'{path}: sample {i} has no gt_label / '
                              'pred_score (a classification dump of a '
                              'labelled set is needed)')
        keys.append(sample.get('img_path', sample.get('sample_idx', i)))
        labels.append(int(np.asarray(sample['gt_label']).reshape(-1)[0]))
        score = np.asarray(sample['pred_score']).reshape(-1)
        preds.append(int(score.argmax()))
        num_classes = max(num_classes, score.size)
    if len(set(keys)) != len(keys):
        raise ConfigError(f'{path}: images repeat (keys not unique)')
    return keys, np.asarray(labels), np.asarray(preds), num_classes


def align(dumps: Sequence[Tuple[str, Predictions]]
          ) -> Tuple[np.ndarray, List[np.ndarray], int]:
    """Put every dump in the image order of the first one.

    Returns:
        tuple: ``(labels, predictions per dump, num_classes)``.

    Raises:
        ConfigError: When the dumps cover different images or disagree on
            an image's label.
    """
    (first, (keys, labels, preds, num_classes)), rest = dumps[0], dumps[1:]
    order = {key: i for i, key in enumerate(keys)}
    aligned = [preds]
    for path, (other_keys, other_labels, other_preds, other_c) in rest:
        if set(other_keys) != set(order) or other_c != num_classes:
            raise ConfigError(
                f'{path} and {first} cover different images or classes '
                f'({len(other_keys)} vs {len(keys)} images, {other_c} vs '
                f'{num_classes} classes): evaluate both on the same set')
        index = np.array([order[key] for key in other_keys])
        if not np.array_equal(labels[index], other_labels):
            raise ConfigError(f'{path} and {first} give different labels to '
                              'the same images')
        reordered = np.empty_like(other_preds)
        reordered[index] = other_preds
        aligned.append(reordered)
    return labels, aligned, num_classes


def groups_from_config(path: str) -> Tuple[Dict[str, np.ndarray], str]:
    """Many / medium / few classes from a config's test (else val)
    evaluator, and a description of the rule."""
    cfg = load_config(path)
    evaluator = cfg.get('test_evaluator') or cfg.get('val_evaluator') or {}
    if isinstance(evaluator, (list, tuple)):
        evaluator = next((e for e in evaluator
                          if e.get('type') == 'LongTailClsMetric'), {})
    counts = evaluator.get('class_counts')
    if not counts:
        raise ConfigError(f'{path}: test_evaluator has no class_counts; '
                          'pass --class-counts')
    split_by = evaluator.get('split_by', 'count')
    many = evaluator.get('many_threshold', 100)
    few = evaluator.get('few_threshold', 20)
    return (split_classes(counts, split_by, many, few),
            _describe_split(counts, split_by, many, few))


def _describe_split(counts, split_by, many=100, few=20) -> str:
    rule = ('thirds by training count' if split_by == 'rank' else
            f'many > {many}, few < {few} training images')
    return f'groups: {rule} (class counts {list(counts)})'


def grid_dumps(grid_file: str, label: str, work_root: str,
               seeds: Optional[Sequence[int]]
               ) -> Tuple[List[Tuple[int, str]], str]:
    """``[(seed, preds.pkl)]`` of a grid row and its config.

    Raises:
        ConfigError: For an unknown label or a run without predictions (the
            message gives the tools/test.py command that makes them).
    """
    grid = with_seeds(load_grid(grid_file), seeds)
    runs = [r for r in plan_runs(grid, work_root) if r.label == label]
    if not runs:
        labels = ', '.join(e.label for e in grid.entries)
        raise ConfigError(f'{label!r} is not a label of {grid_file} '
                          f'(labels: {labels})')
    dumps = []
    for run in runs:
        path = predictions_path(run.work_dir)
        if not osp.isfile(path):
            ckpt = find_checkpoint(run.work_dir) or '<its best checkpoint>'
            raise ConfigError(
                f'no predictions for {label} seed {run.seed} ({path}); run '
                f'the grid with dump_predictions = True, or: python '
                f'tools/test.py {shlex.quote(run.config)} '
                f'{shlex.quote(ckpt)} --work-dir '
                f'{shlex.quote(osp.dirname(path))} --out {shlex.quote(path)}')
        dumps.append((run.seed, path))
    return dumps, runs[0].config


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    with friendly_errors(args.debug):
        if args.grid_rows:
            if len(args.grid_rows) != 3 or args.a or args.b:
                raise ConfigError('give either GRID LABEL_A LABEL_B or --a '
                                  'and --b, not both')
            grid_file, label_a, label_b = args.grid_rows
            dumps_a, config_a = grid_dumps(grid_file, label_a,
                                           args.work_root, args.seeds)
            dumps_b, config_b = grid_dumps(grid_file, label_b,
                                           args.work_root, args.seeds)
            names = args.names or [label_a, label_b]
            files_a = [p for _, p in dumps_a]
            files_b = [p for _, p in dumps_b]
            pair_seeds = not args.fixed_seeds
            groups, rule = groups_from_config(config_a)
            if groups_from_config(config_b)[1] != rule:
                raise ConfigError(f'{label_a} and {label_b} group the '
                                  'classes differently (their test_evaluator '
                                  'class_counts / split_by)')
        else:
            if not args.a or not args.b:
                raise ConfigError('give GRID LABEL_A LABEL_B, or --a and --b '
                                  'prediction files')
            files_a, files_b = args.a, args.b
            names = args.names or ['A', 'B']
            pair_seeds = args.pair_seeds
            if args.class_counts:
                groups = split_classes(args.class_counts, args.split_by)
                rule = _describe_split(args.class_counts, args.split_by)
            elif args.config:
                groups, rule = groups_from_config(args.config)
            else:
                raise ConfigError('files mode needs --config or '
                                  '--class-counts (for many / medium / few)')
        if pair_seeds and len(files_a) != len(files_b):
            raise ConfigError(f'pairing seeds needs as many runs of A '
                              f'({len(files_a)}) as of B ({len(files_b)})')
        if args.num_resamples < 100:
            raise ConfigError('--num-resamples must be >= 100, got '
                              f'{args.num_resamples}')
        labels, preds, num_classes = align(
            [(p, load_predictions(p)) for p in [*files_a, *files_b]])
        if any(max(m, default=-1) >= num_classes for m in groups.values()):
            raise ConfigError(f'the class counts name more classes than the '
                              f'predictions have ({num_classes})')
        results = paired_bootstrap(
            labels, np.stack(preds[:len(files_a)]),
            np.stack(preds[len(files_a):]), num_classes, groups,
            num_resamples=args.num_resamples, level=args.level,
            resample_seeds=not args.fixed_seeds,
            pair_seeds=pair_seeds and not args.fixed_seeds,
            rng_seed=args.rng_seed)
        seeds_how = ('every seed averaged' if args.fixed_seeds else
                     'seeds drawn too' +
                     (', paired' if pair_seeds else ''))
        print(f'A = {names[0]} ({len(files_a)} run(s)), B = {names[1]} '
              f'({len(files_b)} run(s)); {labels.size} images, '
              f'{args.num_resamples} paired resamples ({seeds_how}); {rule}')
        print(format_bootstrap_table(results, names, args.level))
        if args.json:
            payload = dict(names=list(names), files_a=files_a,
                           files_b=files_b, level=args.level,
                           num_resamples=args.num_resamples, groups=rule,
                           results={k: dict(mean_a=r.mean_a, mean_b=r.mean_b,
                                            diff=r.diff, low=r.low,
                                            high=r.high, verdict=r.verdict)
                                    for k, r in results.items()})
            with open(args.json, 'w', encoding='utf-8') as f:
                json.dump(payload, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
