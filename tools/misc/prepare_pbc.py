# Copyright (c) medproto contributors. All rights reserved.
"""Build the PBC folders the configs read from the public release.

The PBC dataset (Acevedo et al., "A dataset of microscopic peripheral blood
cell images for development of automatic recognition systems", Data in
Brief 30, 2020) is published as ``PBC_dataset_normal_DIB/<class>/*.jpg``
(eight classes, 360x363 JPEGs). The configs under ``configs/pbc/`` read
``data/pbc-blood-cells-128/{train,val}/<class>/*.jpg``: 128x128 copies,
a balanced validation pool of ``--val-per-class`` images per class and the
rest as the training pool (``ImageFolderLT`` makes it long-tailed).

Example::

    python tools/misc/prepare_pbc.py /downloads/PBC_dataset_normal_DIB \
        data/pbc-blood-cells-128

The split is drawn per class with ``--seed`` from the sorted file names, so
the same release and seed give the same folders.
"""
import argparse
import os
import os.path as osp
import random
import sys
from typing import Dict, List, Optional

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from medproto.utils.cli import (ConfigError, add_debug_arg,  # noqa: E402
                                friendly_errors)

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Make {train,val}/<class>/ 128x128 folders from the PBC '
        'release (PBC_dataset_normal_DIB)')
    parser.add_argument('src', help='the unpacked release folder, holding '
                        'one subfolder per class')
    parser.add_argument('out', nargs='?', default='data/pbc-blood-cells-128',
                        help='output folder (default: %(default)s)')
    parser.add_argument('--val-per-class', type=int, default=120,
                        help='validation images per class (default 120)')
    parser.add_argument('--size', type=int, default=128,
                        help='output side in pixels (default 128)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the per-class split (default 0)')
    add_debug_arg(parser)
    return parser.parse_args(argv)


def class_images(src: str) -> Dict[str, List[str]]:
    """Sorted image paths of every class subfolder of ``src``.

    Raises:
        ConfigError: ``src`` is missing or has no class folder with images.
    """
    if not osp.isdir(src):
        raise ConfigError(f'PBC release folder not found: {src}')
    classes = {}
    for name in sorted(os.listdir(src)):
        folder = osp.join(src, name)
        if not osp.isdir(folder):
            continue
        files = sorted(f for f in os.listdir(folder)
                       if f.lower().endswith(IMAGE_EXTS))
        if files:
            classes[name] = [osp.join(folder, f) for f in files]
    if not classes:
        raise ConfigError(f'{src} has no class subfolders with images; give '
                          'the PBC_dataset_normal_DIB folder of the release')
    return classes


def split(files: List[str], val_per_class: int, seed: int, name: str):
    """``(train, val)`` lists: ``val_per_class`` files drawn with ``seed``.

    Raises:
        ConfigError: The class has no image left for training.
    """
    if len(files) <= val_per_class:
        raise ConfigError(f"class '{name}' has {len(files)} images, not more "
                          f'than --val-per-class {val_per_class}')
    order = list(files)
    random.Random(f'{seed}-{name}').shuffle(order)
    val = set(order[:val_per_class])
    return [f for f in files if f not in val], [f for f in files if f in val]


def write_resized(src_file: str, dst_file: str, size: int) -> None:
    """Save ``src_file`` as a ``size`` x ``size`` RGB JPEG."""
    from PIL import Image
    with Image.open(src_file) as image:
        image.convert('RGB').resize((size, size), Image.BILINEAR).save(
            dst_file, quality=95)


def main(argv: Optional[List[str]] = None) -> Dict[str, Dict[str, int]]:
    args = parse_args(argv)
    with friendly_errors(args.debug):
        if args.val_per_class < 1 or args.size < 1:
            raise ConfigError('--val-per-class and --size must be >= 1')
        counts: Dict[str, Dict[str, int]] = dict(train={}, val={})
        for name, files in class_images(args.src).items():
            parts = split(files, args.val_per_class, args.seed, name)
            for part, chosen in zip(('train', 'val'), parts):
                folder = osp.join(args.out, part, name)
                os.makedirs(folder, exist_ok=True)
                for path in chosen:
                    stem = osp.splitext(osp.basename(path))[0]
                    write_resized(path, osp.join(folder, stem + '.jpg'),
                                  args.size)
                counts[part][name] = len(chosen)
        for part in ('train', 'val'):
            listed = ', '.join(f'{k} {v}' for k, v in counts[part].items())
            print(f'{part}: {sum(counts[part].values())} images ({listed})')
        print(f'written to {args.out}; train with '
              f'--data-root {args.out} (configs/pbc/)')
    return counts


if __name__ == '__main__':
    main()
