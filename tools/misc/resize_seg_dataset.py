# Copyright (c) medproto contributors. All rights reserved.
"""Resize a binary segmentation dataset once, so training does not decode
full-size images every iteration.

Images are resized with area interpolation and saved as JPEG (quality 95);
masks are thresholded (>= 128 is foreground, which removes Kvasir-SEG's JPEG
artefacts), resized with nearest-neighbour and saved as 0/255 PNG (or JPEG
at quality 100 with ``--mask-ext .jpg``, to keep the Kvasir-SEG layout).
Pairs are matched by file stem.

Example::

    python tools/misc/resize_seg_dataset.py ../shared/datasets/kvasir-seg \
        data/kvasir-seg --size 256 256 --mask-ext .jpg
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np

IMG_EXT = ('.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp')


def find_pairs(img_dir: str, mask_dir: str):
    """Return sorted (stem, image path, mask path) triples; fail on orphans."""
    def index(folder):
        if not osp.isdir(folder):
            sys.exit(f'error: folder not found: {folder}')
        return {osp.splitext(f)[0]: osp.join(folder, f)
                for f in os.listdir(folder) if f.lower().endswith(IMG_EXT)}
    imgs, masks = index(img_dir), index(mask_dir)
    orphans = sorted(set(imgs) ^ set(masks))
    if orphans:
        sys.exit(f'error: {len(orphans)} files without a partner in '
                 f'{img_dir} / {mask_dir}, e.g. {orphans[0]}')
    if not imgs:
        sys.exit(f'error: no images in {img_dir}')
    return [(s, imgs[s], masks[s]) for s in sorted(imgs)]


def jpeg_flags(ext: str, quality: int) -> list:
    """``cv2.imwrite`` flags: the JPEG quality for .jpg/.jpeg files, none
    otherwise (OpenCV warns about a JPEG flag given for a PNG)."""
    if ext.lower() in ('.jpg', '.jpeg'):
        return [cv2.IMWRITE_JPEG_QUALITY, quality]
    return []


def main() -> None:
    # the first paragraph of the docstring, as one sentence
    parser = argparse.ArgumentParser(
        description=' '.join(__doc__.split('\n\n')[0].split()))
    parser.add_argument('src', help='dataset root with <split>/images and '
                        '<split>/masks (or images/ and masks/)')
    parser.add_argument('dst', help='output root (same layout)')
    parser.add_argument('--size', nargs=2, type=int, default=[256, 256],
                        metavar=('H', 'W'))
    parser.add_argument('--threshold', type=int, default=128)
    parser.add_argument('--mask-ext', default='.png', choices=['.png', '.jpg'],
                        help='mask format of the output (.jpg keeps the '
                        'Kvasir-SEG layout; binary masks are written at '
                        'quality 100 and thresholded again when loaded)')
    args = parser.parse_args()
    splits = [d for d in ('train', 'val', 'test')
              if osp.isdir(osp.join(args.src, d))] or ['']
    h, w = args.size
    for split in splits:
        pairs = find_pairs(osp.join(args.src, split, 'images'),
                           osp.join(args.src, split, 'masks'))
        out_img = osp.join(args.dst, split, 'images')
        out_mask = osp.join(args.dst, split, 'masks')
        os.makedirs(out_img, exist_ok=True)
        os.makedirs(out_mask, exist_ok=True)
        for stem, img_path, mask_path in pairs:
            img = cv2.imread(img_path, cv2.IMREAD_COLOR)
            mask = cv2.imread(mask_path, cv2.IMREAD_GRAYSCALE)
            if img is None or mask is None:
                bad = img_path if img is None else mask_path
                sys.exit(f'error: cannot read {bad}')
            if img.shape[:2] != mask.shape[:2]:
                sys.exit(f'error: size mismatch {img_path} {img.shape[:2]} vs '
                         f'{mask_path} {mask.shape[:2]}')
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
            mask = (mask >= args.threshold).astype(np.uint8) * 255
            mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
            cv2.imwrite(osp.join(out_img, stem + '.jpg'), img,
                        jpeg_flags('.jpg', 95))
            cv2.imwrite(osp.join(out_mask, stem + args.mask_ext), mask,
                        jpeg_flags(args.mask_ext, 100))
        print(f'{split or "."}: {len(pairs)} pairs -> {args.dst}')


if __name__ == '__main__':
    main()
