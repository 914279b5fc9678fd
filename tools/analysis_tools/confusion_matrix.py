# Copyright (c) medproto contributors. All rights reserved.
"""Confusion matrix and per-class recall of a classification results dump.

Example::

    python tools/test.py configs/pbc/dual_nano_proto5_lt100.py best.pth \
        --out results.pkl
    python tools/analysis_tools/confusion_matrix.py results.pkl \
        --config configs/pbc/dual_nano_proto5_lt100.py --out cm.png
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
import mmengine  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.registry import DATASETS  # noqa: E402

from medproto.utils.cli import (ConfigError,  # noqa: E402
                                add_debug_arg, exception_message,
                                friendly_errors, load_config)
from medproto.visualization.confusion import (  # noqa: E402
    labels_from_results, plot_confusion)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw a confusion matrix from a tools/test.py --out dump')
    parser.add_argument('results', help='results .pkl from tools/test.py')
    parser.add_argument('--config',
                        help='config whose test dataset names the classes '
                        '(test_dataloader.dataset.metainfo.classes)')
    parser.add_argument('--class-names',
                        nargs='+',
                        help='class names, overriding --config')
    parser.add_argument('--title', help='figure title')
    parser.add_argument('--out',
                        default='confusion_matrix.png',
                        help='output image file')
    add_debug_arg(parser)
    return parser.parse_args(argv)


def class_names_from_config(path: str) -> Optional[List[str]]:
    """Class names of a config's test dataset.

    Taken from ``test_dataloader.dataset.metainfo.classes``, else from the
    ``METAINFO`` of the registered dataset class.
    """
    cfg = load_config(path)
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    classes = (dataset.get('metainfo') or {}).get('classes')
    if not classes and dataset.get('type'):
        scope = cfg.get('default_scope', 'mmpretrain')
        with DATASETS.switch_scope_and_registry(scope) as registry:
            dataset_cls = registry.get(dataset['type'])
        classes = getattr(dataset_cls, 'METAINFO', {}).get('classes')
    return list(classes) if classes else None


def main(argv: Optional[List[str]] = None) -> np.ndarray:
    args = parse_args(argv)
    with friendly_errors(args.debug):
        if not osp.isfile(args.results):
            raise ConfigError(f'results file not found: {args.results}')
        results = mmengine.load(args.results)
        names = args.class_names
        if names is None and args.config:
            names = class_names_from_config(args.config)
        try:
            labels, preds, num_classes = labels_from_results(results)
            cm = plot_confusion(labels, preds, num_classes, args.out, names,
                                args.title)
        except (KeyError, ValueError) as err:
            raise ConfigError(exception_message(err)) from err
        accuracy = 100 * np.trace(cm) / cm.sum()
        print(f'{len(labels)} samples, {num_classes} classes, top-1 '
              f'{accuracy:.2f}%; figure written to {args.out}')
    return cm


if __name__ == '__main__':
    main()
