# Copyright (c) medproto contributors. All rights reserved.
"""Prototype usage: how many prototypes of each class its images use.

For a classifier with a ``MultiPrototypeHead``, runs the head over the
validation (or training) set, read with the config's *test* pipeline, and
prints one row per class: training images (when the config's head names
``class_counts``), images read, active prototypes, used prototypes (those
that win for at least one image of the class), the share of the class's
images won by its most-used prototype, the mean similarity to the class's
best prototype and to the best prototype of the strongest other class, their
margin, and the recall. ``--out`` also writes the table as JSON. See
docs/tools.md.

Example::

    python tools/analysis_tools/prototype_usage.py \
        configs/pbc/dual_nano_proto10_lt100.py \
        work_dirs/dual_nano_proto10_lt100/best.pth --split val \
        --out usage.json
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
import torch  # noqa: E402

from medproto.utils.cli import (ConfigError, add_cfg_options_arg,  # noqa: E402
                                add_debug_arg, friendly_errors, load_config)
from medproto.utils.model_loading import (  # noqa: E402
    build_model_from_config, load_weights, unwrap_student)
from medproto.visualization.prototype_gallery import \
    build_split_dataset  # noqa: E402
from medproto.visualization.prototype_usage import (  # noqa: E402
    PrototypeUsage, prototype_usage, require_prototype_head)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Print how the images of each class use the prototypes '
        'of a MultiPrototypeHead classifier')
    parser.add_argument('config', help='config file of the model')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--split', choices=['val', 'train'], default='val',
                        help='dataset to read (with the test pipeline)')
    parser.add_argument('--out', help='also write the table to this .json')
    parser.add_argument('--max-images', type=int,
                        help='read only N images, spread over the classes')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--num-workers', type=int, default=0)
    parser.add_argument('--device', default=None,
                        help="'cpu' or 'cuda' (default: cuda when available)")
    add_cfg_options_arg(parser)
    add_debug_arg(parser)
    return parser.parse_args(argv)


def check_inputs(args: argparse.Namespace) -> None:
    """One-sentence errors for bad options and missing files."""
    if args.out is not None and not args.out.lower().endswith('.json'):
        raise ConfigError(f'--out must be a .json file, got {args.out}')
    if args.max_images is not None and args.max_images < 1:
        raise ConfigError(f'--max-images must be >= 1, got {args.max_images}')
    if args.batch_size < 1:
        raise ConfigError(f'--batch-size must be >= 1, got {args.batch_size}')
    if not osp.isfile(args.config):
        raise ConfigError(f'config file not found: {args.config}')
    if not osp.isfile(args.checkpoint):
        raise ConfigError(f'checkpoint file not found: {args.checkpoint}')


def main(argv: Optional[List[str]] = None) -> PrototypeUsage:
    args = parse_args(argv)
    with friendly_errors(args.debug):
        check_inputs(args)
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)

        model = unwrap_student(
            load_weights(build_model_from_config(cfg), args.checkpoint))
        try:
            head = require_prototype_head(model)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        device = args.device or ('cuda'
                                 if torch.cuda.is_available() else 'cpu')
        model.to(device).eval()

        try:
            dataset, class_names, subset = build_split_dataset(
                cfg, args.split, args.max_images)
        except ValueError as err:
            raise ConfigError(f'{args.config}: {err}') from None
        if class_names is not None and len(class_names) != head.num_classes:
            class_names = None
        counts = cfg.model.get('head', {}).get('class_counts') or cfg.get(
            'class_counts')
        if counts is not None and len(counts) != head.num_classes:
            counts = None
        if args.max_images is not None and subset is None and \
                args.max_images < len(dataset):
            dataset = torch.utils.data.Subset(
                dataset, list(range(args.max_images)))
        try:
            usage = prototype_usage(
                model,
                dataset,
                batch_size=args.batch_size,
                num_workers=args.num_workers,
                class_names=class_names,
                train_counts=counts)
        except ValueError as err:
            raise ConfigError(str(err)) from err
        usage.extra.update(
            config=args.config, checkpoint=args.checkpoint, split=args.split)

        print(f'{usage.num_samples} {args.split} images, head pooling '
              f"'{head.pooling}'")
        print(usage.format_table())
        if args.out:
            out_dir = osp.dirname(osp.abspath(args.out))
            os.makedirs(out_dir, exist_ok=True)
            with open(args.out, 'w') as f:
                json.dump(usage.to_dict(), f, indent=2)
            print(f'written to {args.out}')
    return usage


if __name__ == '__main__':
    main()
