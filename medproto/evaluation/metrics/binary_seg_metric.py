# Copyright (c) medproto contributors. All rights reserved.
"""Dataset-level and per-image metrics for binary segmentation."""
import csv
import logging
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from medproto.evaluation.functional import (COUNTS_HEADER, binary_confusion,
                                            binary_ground_truth,
                                            binary_prediction,
                                            check_binary_options,
                                            per_image_scores)


@METRICS.register_module()
class BinarySegMetric(BaseMetric):
    """Pixel metrics of a one-foreground-class segmentation task.

    Every image adds its four pixel counts (TP, FP, FN, TN) to
    ``self.results``; ``compute_metrics`` sums them into **one confusion
    matrix over all pixels of the set**, as MALUNet's engine does, and also
    averages the per-image Dice and IoU. All values are percentages
    (x100), as mmseg reports them, and are not rounded.

    Reported keys:

    * ``Dice`` = 2TP / (2TP + FP + FN) (the F1 score, MALUNet's
      ``f1_or_dsc``);
    * ``IoU`` = TP / (TP + FP + FN), the foreground IoU (what MALUNet's code
      logs as ``miou``);
    * ``mIoU`` / ``mDice``: means of the background and foreground values,
      i.e. mmseg ``IoUMetric``'s numbers for two classes;
    * ``Accuracy`` = (TP + TN) / N, ``Sensitivity`` = TP / (TP + FN),
      ``Specificity`` = TN / (TN + FP), ``Precision`` = TP / (TP + FP);
    * ``mDice_per_image`` / ``mIoU_per_image``: means over images of each
      image's foreground Dice / IoU.

    Empty cases: an image whose ground truth and prediction are both empty
    has Dice = IoU = 1 (100). A dataset-level ratio whose denominator is 0
    (e.g. ``Sensitivity`` on a set without foreground pixels) is reported as
    0 with a warning, as in MALUNet's engine. No value is ever NaN.

    The prediction is read from ``seg_logits`` when present: a two-channel
    map holds raw logits (softmax is applied); a one-channel map holds what
    mmseg's ``EncoderDecoder`` stored -- the probability after its sigmoid
    (``one_channel_scores='prob'``) -- or raw logits from a segmentor that
    stores them (``'logit'``). A pixel is foreground when its probability is
    ``>= threshold``. Without ``seg_logits``, ``pred_sem_seg`` is used as
    stored, which was thresholded with the decode head's own ``threshold``.
    The ground truth is ``gt_sem_seg`` (0 background, 1 foreground); both
    maps are compared at the size the segmentor restored (``ori_shape``),
    so resizing and padding by the data preprocessor do not matter.

    Args:
        threshold (float): Foreground probability threshold in (0, 1).
            Defaults to 0.5.
        pred_source (str): ``'auto'`` (``seg_logits`` if present, else
            ``pred_sem_seg``), ``'seg_logits'`` or ``'pred_sem_seg'``.
            Defaults to ``'auto'``.
        one_channel_scores (str): ``'prob'`` or ``'logit'``, see above.
            Defaults to ``'prob'``.
        ignore_index (int, optional): Ground-truth label left out of the
            counts; ``None`` counts every pixel. Defaults to 255.
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to None.
        counts_file (str, optional): Also write the per-image counts to
            this CSV file (``img_path,TP,FP,FN,TN``, one row per image), e.g.
            for a paired bootstrap between two models
            (``tools/analysis_tools/compare_seg_runs.py``). Defaults to None.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 threshold: float = 0.5,
                 pred_source: str = 'auto',
                 one_channel_scores: str = 'prob',
                 ignore_index: Optional[int] = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 counts_file: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if counts_file is not None and not isinstance(counts_file, str):
            raise TypeError('`counts_file` must be a path or None, got '
                            f'{type(counts_file).__name__}.')
        self.counts_file = counts_file
        check_binary_options(threshold, pred_source, one_channel_scores)
        if ignore_index is not None and not isinstance(ignore_index, int):
            raise TypeError('`ignore_index` must be an int or None, got '
                            f'{type(ignore_index).__name__}.')
        self.threshold = float(threshold)
        self.pred_source = pred_source
        self.one_channel_scores = one_channel_scores
        self.ignore_index = ignore_index

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Add one ``(TP, FP, FN, TN)`` tuple of ints per image.

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs, as dicts of
                ``SegDataSample`` fields.
        """
        for sample in data_samples:
            pred = binary_prediction(sample, self.threshold, self.pred_source,
                                     self.one_channel_scores)
            gt, valid = binary_ground_truth(sample, self.ignore_index)
            counts = tuple(binary_confusion(pred, gt, valid))
            if self.counts_file is not None:  # keep the image's name
                counts += (sample.get('img_path', ''), )
            self.results.append(counts)

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Compute the metrics from the per-image counts of the whole set.

        Args:
            results (list[tuple]): ``(TP, FP, FN, TN[, img_path])`` of
                every image.

        Returns:
            dict[str, float]: Metric name to percentage.
        """
        counts = np.asarray([r[:4] for r in results],
                            dtype=np.int64).reshape(-1, 4)
        if self.counts_file is not None:
            _write_counts(self.counts_file, results)
        tp, fp, fn, tn = (int(v) for v in counts.sum(axis=0))
        iou_fg = _ratio(tp, tp + fp + fn, 'IoU')
        iou_bg = _ratio(tn, tn + fp + fn, 'background IoU')
        dice_fg = _ratio(2 * tp, 2 * tp + fp + fn, 'Dice')
        dice_bg = _ratio(2 * tn, 2 * tn + fp + fn, 'background Dice')
        dice_img, iou_img = per_image_scores(counts)
        metrics = dict(
            Dice=dice_fg,
            IoU=iou_fg,
            mIoU=(iou_fg + iou_bg) / 2,
            mDice=(dice_fg + dice_bg) / 2,
            Accuracy=_ratio(tp + tn, tp + fp + fn + tn, 'Accuracy'),
            Sensitivity=_ratio(tp, tp + fn, 'Sensitivity'),
            Specificity=_ratio(tn, tn + fp, 'Specificity'),
            Precision=_ratio(tp, tp + fp, 'Precision'),
            mDice_per_image=float(dice_img.mean()) if len(counts) else 0.0,
            mIoU_per_image=float(iou_img.mean()) if len(counts) else 0.0)
        metrics = {key: 100.0 * value for key, value in metrics.items()}
        self._log_tables(metrics, (iou_bg, iou_fg), (dice_bg, dice_fg),
                         len(counts))
        return metrics

    def _log_tables(self, metrics: Dict[str, float], iou: Tuple[float, float],
                    dice: Tuple[float, float], num_images: int) -> None:
        """Print a per-class and a summary table, like mmseg's IoUMetric."""
        classes = (self.dataset_meta or {}).get('classes', None)
        if classes is None or len(classes) != 2:
            classes = ('background', 'foreground')
        class_table = PrettyTable()
        class_table.add_column('Class', list(classes))
        class_table.add_column('IoU', [round(100 * v, 2) for v in iou])
        class_table.add_column('Dice', [round(100 * v, 2) for v in dice])
        summary = PrettyTable()
        for key, value in metrics.items():
            summary.add_column(key, [round(value, 2)])
        print_log('per class results:', logger='current')
        print_log('\n' + class_table.get_string(), logger='current')
        print_log(
            f'summary over {num_images} images (threshold '
            f'{self.threshold}):',
            logger='current')
        print_log('\n' + summary.get_string(), logger='current')


def _ratio(numerator: int, denominator: int, name: str) -> float:
    """``numerator / denominator``, or 0 with a warning when it is 0/0."""
    if denominator == 0:
        print_log(
            f'BinarySegMetric: the denominator of {name} is 0 over the '
            'whole set; reporting 0.',
            logger='current',
            level=logging.WARNING)
        return 0.0
    return numerator / denominator


def _write_counts(path: str, results: List[tuple]) -> None:
    """One CSV row ``img_path,TP,FP,FN,TN`` per image."""
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(COUNTS_HEADER)
        for row in results:
            path_ = row[4] if len(row) > 4 else ''
            writer.writerow([path_, *(int(v) for v in row[:4])])
