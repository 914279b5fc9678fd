# Copyright (c) medproto contributors. All rights reserved.
"""Binary masks and confusion counts from mmseg data samples.

Shared by :class:`~medproto.evaluation.BinarySegMetric` and
:class:`~medproto.visualization.BinarySegVisualizer`, so that the picture
shows exactly the pixels the metric counted.
"""
from typing import Any, Mapping, NamedTuple, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement
from torch import Tensor

PRED_SOURCES = ('auto', 'seg_logits', 'pred_sem_seg')
ONE_CHANNEL_SCORES = ('prob', 'logit')

SampleLike = Union[Mapping[str, Any], BaseDataElement]


class BinaryConfusion(NamedTuple):
    """Pixel counts of one binary confusion matrix (plain Python ints)."""

    tp: int
    fp: int
    fn: int
    tn: int


def check_binary_options(threshold: float, pred_source: str,
                         one_channel_scores: str) -> None:
    """Validate the options that turn a data sample into a binary mask.

    Args:
        threshold (float): Foreground probability threshold, in (0, 1).
        pred_source (str): One of :data:`PRED_SOURCES`.
        one_channel_scores (str): One of :data:`ONE_CHANNEL_SCORES`.

    Raises:
        ValueError: If an option is out of range.
    """
    if not isinstance(threshold, (int, float)) or not 0.0 < threshold < 1.0:
        raise ValueError('`threshold` must be a probability in (0, 1), '
                         f'got {threshold!r}.')
    if pred_source not in PRED_SOURCES:
        raise ValueError(f'`pred_source` must be one of {PRED_SOURCES}, '
                         f'got {pred_source!r}.')
    if one_channel_scores not in ONE_CHANNEL_SCORES:
        raise ValueError('`one_channel_scores` must be one of '
                         f'{ONE_CHANNEL_SCORES}, got {one_channel_scores!r}.')


def get_pixel_data(sample: SampleLike, key: str) -> Optional[Tensor]:
    """Return the ``data`` tensor of a ``PixelData`` field, or ``None``.

    Works on both a ``SegDataSample`` and the dict the mmengine
    ``Evaluator`` makes of it with ``to_dict()``.

    Args:
        sample (Mapping | BaseDataElement): One data sample.
        key (str): Field name, e.g. ``'gt_sem_seg'``.

    Returns:
        Tensor | None: The field's tensor, ``None`` when the field is absent.
    """
    field = sample.get(key, None)
    if field is None:
        return None
    if isinstance(field, Tensor):
        return field
    data = field.get('data', None)
    if data is None:
        raise ValueError(f'Data sample field {key!r} has no `data` tensor.')
    return torch.as_tensor(data)


def foreground_probability(seg_logits: Tensor,
                           one_channel_scores: str = 'prob') -> Tensor:
    """Turn a stored ``seg_logits`` map into a foreground probability map.

    mmseg's ``EncoderDecoder.postprocess_result`` stores a one-channel map
    **after** its sigmoid (``one_channel_scores='prob'``) and a two-channel
    map as raw logits (softmax is applied here).

    Args:
        seg_logits (Tensor): Map of shape (C, H, W) or (H, W), C in {1, 2}.
        one_channel_scores (str): ``'prob'`` when a one-channel map already
            holds probabilities, ``'logit'`` when it holds raw logits.

    Returns:
        Tensor: Float map of shape (H, W) with values in [0, 1].
    """
    scores = seg_logits.float()
    if scores.dim() == 2:
        scores = scores.unsqueeze(0)
    if scores.dim() != 3 or scores.shape[0] not in (1, 2):
        raise ValueError('Binary segmentation expects `seg_logits` of shape '
                         '(1, H, W) or (2, H, W), got '
                         f'{tuple(seg_logits.shape)}.')
    if scores.shape[0] == 2:
        return scores.softmax(dim=0)[1]
    if one_channel_scores == 'logit':
        return scores[0].sigmoid()
    if scores.numel() and (scores.min() < 0 or scores.max() > 1):
        raise ValueError(
            'One-channel `seg_logits` holds values outside [0, 1], so it is '
            "not a probability map; set `one_channel_scores='logit'`.")
    return scores[0]


def binary_prediction(sample: SampleLike,
                      threshold: float = 0.5,
                      pred_source: str = 'auto',
                      one_channel_scores: str = 'prob') -> Tensor:
    """Binary foreground prediction of one data sample.

    With ``pred_source='auto'`` the probability map from ``seg_logits`` is
    thresholded (``p >= threshold``, as in MALUNet's engine) when present,
    else ``pred_sem_seg`` is used as it is (its foreground is label 1).

    Args:
        sample (Mapping | BaseDataElement): One mmseg data sample.
        threshold (float): Foreground probability threshold.
        pred_source (str): ``'auto'``, ``'seg_logits'`` or
            ``'pred_sem_seg'``.
        one_channel_scores (str): See :func:`foreground_probability`.

    Returns:
        Tensor: Bool mask of shape (H, W).
    """
    seg_logits = get_pixel_data(sample, 'seg_logits')
    if pred_source != 'pred_sem_seg' and seg_logits is not None:
        prob = foreground_probability(seg_logits, one_channel_scores)
        return prob >= threshold
    if pred_source == 'seg_logits':
        raise KeyError("`pred_source='seg_logits'` but the data sample has "
                       'no `seg_logits`.')
    pred = get_pixel_data(sample, 'pred_sem_seg')
    if pred is None:
        raise KeyError('The data sample has neither `seg_logits` nor '
                       '`pred_sem_seg`.')
    pred = _squeeze_mask(pred, 'pred_sem_seg')
    if pred.numel() and pred.max() > 1:
        raise ValueError('`pred_sem_seg` of a binary model must hold 0/1, '
                         f'found label {int(pred.max())}.')
    return pred > 0


def binary_ground_truth(
        sample: SampleLike,
        ignore_index: Optional[int] = 255) -> Tuple[Tensor, Tensor]:
    """Foreground and valid-pixel masks of a sample's ``gt_sem_seg``.

    Args:
        sample (Mapping | BaseDataElement): One mmseg data sample.
        ignore_index (int, optional): Label of pixels left out of the
            counts. ``None`` keeps every pixel.

    Returns:
        tuple[Tensor, Tensor]: Bool masks ``(foreground, valid)``, (H, W).
    """
    gt = get_pixel_data(sample, 'gt_sem_seg')
    if gt is None:
        raise KeyError('The data sample has no `gt_sem_seg`.')
    gt = _squeeze_mask(gt, 'gt_sem_seg')
    valid = torch.ones_like(gt, dtype=torch.bool) if ignore_index is None \
        else gt != ignore_index
    labels = gt[valid]
    if labels.numel() and (labels.min() < 0 or labels.max() > 1):
        raise ValueError(
            '`gt_sem_seg` of a binary dataset must hold 0 (background) and 1 '
            f'(foreground) besides `ignore_index`={ignore_index}; found '
            f'labels {torch.unique(labels).tolist()[:8]}. Convert 0/255 masks '
            'to 0/1 in the dataset.')
    return (gt == 1) & valid, valid


def binary_confusion(pred: Tensor,
                     gt: Tensor,
                     valid: Optional[Tensor] = None) -> BinaryConfusion:
    """Count TP, FP, FN and TN pixels of one image.

    Args:
        pred (Tensor): Bool prediction mask (H, W).
        gt (Tensor): Bool ground-truth mask (H, W).
        valid (Tensor, optional): Bool mask of pixels to count.

    Returns:
        BinaryConfusion: The four counts as Python ints.
    """
    if pred.shape != gt.shape:
        raise ValueError(
            f'Prediction shape {tuple(pred.shape)} differs from ground-truth '
            f'shape {tuple(gt.shape)}; the prediction must be at the '
            "annotation's size (mmseg resizes it to `ori_shape`).")
    pred = pred.to(gt.device).bool()
    gt = gt.bool()
    if valid is None:
        valid = torch.ones_like(gt)
    tp = int((pred & gt & valid).sum())
    fp = int((pred & ~gt & valid).sum())
    fn = int((~pred & gt & valid).sum())
    tn = int(valid.sum()) - tp - fp - fn
    return BinaryConfusion(tp, fp, fn, tn)


def per_image_scores(counts: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per-image foreground Dice and IoU from confusion counts; 1 where
    ground truth and prediction are both empty.

    Args:
        counts (np.ndarray): ``(TP, FP, FN, TN)`` per image, shape (N, 4).

    Returns:
        tuple[np.ndarray, np.ndarray]: Dice and IoU, each float64 of shape
        (N,), as fractions.
    """
    tp, fp, fn = (counts[:, i].astype(np.float64) for i in range(3))
    errors = fp + fn
    empty = (tp + errors) == 0
    dice = np.divide(2 * tp,
                     2 * tp + errors,
                     out=np.ones_like(tp),
                     where=~empty)
    iou = np.divide(tp, tp + errors, out=np.ones_like(tp), where=~empty)
    return dice, iou


def _squeeze_mask(mask: Tensor, name: str) -> Tensor:
    """Drop a leading channel axis of size 1 from a label map."""
    if mask.dim() == 3 and mask.shape[0] == 1:
        mask = mask[0]
    if mask.dim() != 2:
        raise ValueError(f'`{name}` must have shape (1, H, W) or (H, W), '
                         f'got {tuple(mask.shape)}.')
    return mask
