# Copyright (c) medproto contributors. All rights reserved.
"""Drawing of a :class:`PrototypeGallery` (see ``prototype_gallery.py``).

One PNG: a row per active prototype, its k nearest training images (or
patches) with their similarity.
"""
import math
from typing import Any, Dict, Optional

import numpy as np

import torch

from .prototype_gallery import PrototypeGallery

__all__ = ['plot_prototype_gallery']


def _image_of(dataset: Any, index: int, bgr: bool) -> np.ndarray:
    """The pipeline image of sample ``index`` as (H, W, 3) uint8 RGB."""
    item = dataset[index]
    img = item['inputs'] if isinstance(item, dict) else item
    img = torch.as_tensor(img).detach().cpu()
    if img.dim() == 2:
        img = img[None]
    if img.dim() != 3:
        raise ValueError(f'sample {index} has inputs of shape '
                         f'{tuple(img.shape)}; expected (C, H, W).')
    img = img.permute(1, 2, 0).numpy()
    if img.dtype != np.uint8:
        lo, hi = float(img.min()), float(img.max())
        img = ((img - lo) / max(hi - lo, 1e-6) * 255).astype(np.uint8)
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    elif img.shape[2] >= 3:
        img = img[..., :3][..., ::-1] if bgr else img[..., :3]
    return np.ascontiguousarray(img)


def plot_prototype_gallery(gallery: PrototypeGallery,
                           dataset: Any,
                           out_file: str,
                           crop: bool = False,
                           bgr: bool = True,
                           title: Optional[str] = None,
                           cell_inches: float = 1.6,
                           dpi: int = 100) -> str:
    """Draw the gallery: one row per prototype, its matches left to right.

    Each cell shows the sample's pipeline image with the matched patch
    outlined (or only the patch with ``crop``), titled with the ranking
    similarity, the dataset index and the sample's class (red when it is not
    the prototype's class). Rows are labelled ``<class name> / p<slot>``.
    Drawn with matplotlib's Agg canvas (no display needed).

    Args:
        gallery (PrototypeGallery): From :func:`build_prototype_gallery`.
        dataset (Dataset): The dataset the gallery was built on (indexed by
            ``GalleryMatch.index``), with the same deterministic pipeline.
        out_file (str): Output PNG path.
        crop (bool): Show only the patch instead of the whole image with a
            box (whole images are shown when there are no boxes).
            Defaults to False.
        bgr (bool): The pipeline images are BGR (OpenCV loading, as
            mmpretrain's ``LoadImageFromFile``) and are flipped to RGB.
            Defaults to True.
        title (str, optional): Figure title.
        cell_inches (float): Size of one cell. Defaults to 1.6.
        dpi (int): Resolution. Defaults to 100.

    Returns:
        str: ``out_file``.

    Raises:
        ValueError: If the gallery has no prototype.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    rows = sorted(gallery.matches)
    if not rows:
        raise ValueError('the gallery has no active prototype to draw.')
    ncols = max(gallery.topk, 1)
    fig = Figure(
        figsize=(cell_inches * ncols + 0.8, cell_inches * 1.15 * len(rows) +
                 0.6),
        constrained_layout=True)
    FigureCanvasAgg(fig)
    axes = np.asarray(fig.subplots(len(rows), ncols, squeeze=False))
    cache: Dict[int, np.ndarray] = {}
    for r, (c, slot) in enumerate(rows):
        for j in range(ncols):
            ax = axes[r, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(f'{gallery.class_names[c]}\np{slot}',
                              fontsize=8)
            matches = gallery.matches[(c, slot)]
            if j >= len(matches):
                for spine in ax.spines.values():
                    spine.set_visible(False)
                continue
            match = matches[j]
            if match.index not in cache:
                cache[match.index] = _image_of(dataset, match.index, bgr)
            img = cache[match.index]
            box = match.box
            if crop and box is not None:
                x1, y1 = int(math.floor(box[0])), int(math.floor(box[1]))
                x2, y2 = int(math.ceil(box[2])), int(math.ceil(box[3]))
                ax.imshow(img[y1:max(y2, y1 + 1), x1:max(x2, x1 + 1)])
            else:
                ax.imshow(img)
                if box is not None:
                    ax.add_patch(
                        Rectangle((box[0] - 0.5, box[1] - 0.5),
                                  box[2] - box[0],
                                  box[3] - box[1],
                                  fill=False,
                                  edgecolor='yellow',
                                  linewidth=1.5))
            gt = match.gt_label
            other = gt is not None and gt != c
            label = (gallery.class_names[gt]
                     if gt is not None and 0 <= gt < len(
                         gallery.class_names) else '?')
            ax.set_title(f's={match.similarity:.3f}\n#{match.index} {label}',
                         fontsize=7, color='red' if other else 'black')
    what = 'patches' if gallery.spatial else 'images'
    if title is None:
        title = (f'nearest {what} of each prototype (ranked by '
                 f'{gallery.rank_by} cosine similarity, '
                 f'{gallery.num_samples} samples)')
    fig.suptitle(title, fontsize=9)
    fig.savefig(out_file, dpi=dpi)
    return out_file
