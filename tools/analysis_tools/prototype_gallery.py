# Copyright (c) medproto contributors. All rights reserved.
"""Prototype gallery: the nearest training patches of each prototype.

For a classifier with a ``MultiPrototypeHead``, draws one row per active
prototype with its ``--topk`` nearest samples of the training (or
validation) set, read with the config's *test* pipeline, and writes a JSON
file next to the picture with the dataset indices, image paths,
similarities and patch boxes. See docs/tools.md.

Example::

    python tools/analysis_tools/prototype_gallery.py \
        configs/pbc/dual_nano_proto5_lt100.py \
        work_dirs/dual_nano_proto5_lt100/best.pth --out gallery.png --topk 5
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
from medproto.visualization import (  # noqa: E402
    PrototypeGallery, build_prototype_gallery, plot_prototype_gallery)
from medproto.visualization.prototype_gallery import \
    build_split_dataset  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw the nearest training patches of every prototype '
        'of a MultiPrototypeHead classifier')
    parser.add_argument('config', help='config file of the model')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', default='prototype_gallery.png',
                        help='output .png; <name>.json is written next to it')
    parser.add_argument('--topk', type=int, default=5,
                        help='samples per prototype')
    parser.add_argument('--split', choices=['train', 'val'], default='train',
                        help='dataset to search (read with the test '
                        'pipeline)')
    parser.add_argument('--max-images', type=int,
                        help='search only the first N images')
    parser.add_argument('--rank-by', choices=['image', 'patch'],
                        default='image',
                        help="'image': the head's similarity of the pooled "
                        "embedding (default); 'patch': the best location's "
                        'similarity (ProtoPNet-style)')
    parser.add_argument('--same-class', action='store_true',
                        help="search only images of the prototype's class")
    parser.add_argument('--crop', action='store_true',
                        help='show only the patch, not the whole image with '
                        'a box')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--num-workers', type=int, default=0)
    parser.add_argument('--device', default=None,
                        help="'cpu' or 'cuda' (default: cuda when available)")
    add_cfg_options_arg(parser)
    add_debug_arg(parser)
    return parser.parse_args(argv)


def check_inputs(args: argparse.Namespace) -> None:
    """One-sentence errors for bad options and missing files."""
    if not args.out.lower().endswith('.png'):
        raise ConfigError(f'--out must be a .png file, got {args.out}')
    if args.topk < 1:
        raise ConfigError(f'--topk must be >= 1, got {args.topk}')
    if args.max_images is not None and args.max_images < 1:
        raise ConfigError(f'--max-images must be >= 1, got {args.max_images}')
    if not osp.isfile(args.config):
        raise ConfigError(f'config file not found: {args.config}')
    if not osp.isfile(args.checkpoint):
        raise ConfigError(f'checkpoint file not found: {args.checkpoint}')


def main(argv: Optional[List[str]] = None) -> PrototypeGallery:
    args = parse_args(argv)
    with friendly_errors(args.debug):
        check_inputs(args)
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        try:
            dataset, class_names, subset = build_split_dataset(
                cfg, args.split, args.max_images)
        except ValueError as err:
            raise ConfigError(f'{args.config}: {err}') from None
        model = build_model_from_config(cfg)
        load_weights(model, args.checkpoint)
        model = unwrap_student(model)
        device = args.device or ('cuda'
                                 if torch.cuda.is_available() else 'cpu')
        model.to(device).eval()
        try:
            gallery = build_prototype_gallery(
                model,
                dataset,
                topk=args.topk,
                rank_by=args.rank_by,
                same_class=args.same_class,
                max_samples=None if subset is not None else args.max_images,
                class_names=class_names,
                batch_size=args.batch_size,
                num_workers=args.num_workers)
        except ValueError as err:
            raise ConfigError(str(err)) from err
        gallery.extra.update(
            config=args.config, checkpoint=args.checkpoint, split=args.split)
        if subset is not None:  # match indices are positions in this list
            gallery.extra['dataset_indices'] = subset

        out_dir = osp.dirname(osp.abspath(args.out))
        os.makedirs(out_dir, exist_ok=True)
        plot_prototype_gallery(gallery, dataset, args.out, crop=args.crop)
        json_file = osp.splitext(args.out)[0] + '.json'
        with open(json_file, 'w') as f:
            json.dump(gallery.to_dict(), f, indent=2)
        patch = ('feature-map cells' if gallery.spatial else
                 'whole images (the head gets pooled features)')
        print(f'{len(gallery.matches)} active prototypes, top-{args.topk} of '
              f'{gallery.num_samples} {args.split} images ({patch}); '
              f'figure written to {args.out}, matches to {json_file}')
    return gallery


if __name__ == '__main__':
    main()
