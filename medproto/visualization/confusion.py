# Copyright (c) medproto contributors. All rights reserved.
"""Confusion matrix and per-class recall pictures for classification."""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from matplotlib.figure import Figure

from medproto.evaluation.functional import confusion_matrix

__all__ = ['labels_from_results', 'plot_confusion']


def labels_from_results(
        results: Sequence[dict]) -> Tuple[np.ndarray, np.ndarray, int]:
    """Ground truth, predictions and class count from a results dump.

    Args:
        results (Sequence[dict]): What mmengine's ``DumpResults`` wrote for
            an mmpretrain model (``tools/test.py --out results.pkl``): one
            dict per sample with ``gt_label`` and ``pred_label`` and/or
            ``pred_score``.

    Returns:
        tuple: ``(labels, preds, num_classes)``; the class count is the
        length of ``pred_score`` when present, else the largest label + 1.
    """
    if not results:
        raise ValueError('the results dump is empty.')
    labels, preds, num_classes = [], [], 0
    for index, sample in enumerate(results):
        if 'gt_label' not in sample:
            raise KeyError(f'sample {index} of the dump has no gt_label; '
                           'was it made with tools/test.py --out on a '
                           'labelled set?')
        labels.append(int(torch.as_tensor(sample['gt_label']).reshape(-1)[0]))
        if 'pred_score' in sample:
            score = torch.as_tensor(sample['pred_score']).reshape(-1)
            num_classes = max(num_classes, score.numel())
            preds.append(int(score.argmax()))
        elif 'pred_label' in sample:
            preds.append(
                int(torch.as_tensor(sample['pred_label']).reshape(-1)[0]))
        else:
            raise KeyError(f'sample {index} of the dump has neither '
                           'pred_score nor pred_label.')
    labels, preds = np.asarray(labels), np.asarray(preds)
    num_classes = max(num_classes, int(labels.max()) + 1, int(preds.max()) + 1)
    return labels, preds, num_classes


def plot_confusion(labels: np.ndarray,
                   preds: np.ndarray,
                   num_classes: int,
                   out_file: str,
                   class_names: Optional[Sequence[str]] = None,
                   title: Optional[str] = None) -> np.ndarray:
    """Draw the row-normalised confusion matrix and per-class recall.

    Args:
        labels (np.ndarray): Ground-truth class indices (N,).
        preds (np.ndarray): Predicted class indices (N,).
        num_classes (int): Number of classes.
        out_file (str): Output image path.
        class_names (Sequence[str], optional): One name per class; defaults
            to the indices.
        title (str, optional): Figure title.

    Returns:
        np.ndarray: The (C, C) count matrix, ground truth in rows.
    """
    names = _names(class_names, num_classes)
    cm = confusion_matrix(labels, preds, num_classes)
    support = cm.sum(axis=1, keepdims=True)
    rates = np.divide(cm, support, out=np.zeros(cm.shape), where=support > 0)
    recall = np.diag(rates)

    side = 3 + 0.45 * num_classes
    fig = Figure(figsize=(2 * side + 1, side), constrained_layout=True)
    ax_cm, ax_rec = fig.subplots(1, 2, width_ratios=[side, side * 0.8])
    image = ax_cm.imshow(rates, cmap='Blues', vmin=0, vmax=1)
    fig.colorbar(image, ax=ax_cm, fraction=0.046, label='row fraction')
    ticks = np.arange(num_classes)
    ax_cm.set_xticks(ticks, names, rotation=45, ha='right')
    ax_cm.set_yticks(ticks, names)
    ax_cm.set_xlabel('predicted')
    ax_cm.set_ylabel('ground truth')
    if num_classes <= 20:
        for (row, col), count in np.ndenumerate(cm):
            ax_cm.text(col,
                       row,
                       str(count),
                       ha='center',
                       va='center',
                       fontsize=8,
                       color='white' if rates[row, col] > 0.5 else 'black')
    ax_rec.barh(ticks, 100 * recall, color='tab:blue')
    ax_rec.set_yticks(ticks,
                      [f'{n} (n={s})' for n, s in zip(names, support[:, 0])])
    ax_rec.invert_yaxis()
    ax_rec.set_xlim(0, 100)
    ax_rec.set_xlabel('recall (%)')
    ax_rec.grid(axis='x', alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.savefig(out_file, dpi=120)
    return cm


def _names(class_names: Optional[Sequence[str]],
           num_classes: int) -> List[str]:
    """Validated class names, or the class indices."""
    if class_names is None:
        return [str(c) for c in range(num_classes)]
    if len(class_names) != num_classes:
        raise ValueError(f'got {len(class_names)} class names for '
                         f'{num_classes} classes.')
    return [str(n) for n in class_names]
