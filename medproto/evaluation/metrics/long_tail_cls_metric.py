# Copyright (c) medproto contributors. All rights reserved.
"""Classification metrics for long-tailed (class-imbalanced) data sets."""
import logging
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.registry import METRICS
from prettytable import PrettyTable

from medproto.evaluation.functional import (SPLIT_BY, confusion_matrix,
                                            one_vs_rest_auc, split_classes)


@METRICS.register_module()
class LongTailClsMetric(BaseMetric):
    """Top-1 accuracy, macro F1, macro AUC and head/medium/tail recall.

    Reads ``pred_score`` (C,) and ``gt_label`` from mmpretrain data samples.
    All values are percentages (x100), as mmpretrain reports accuracy.

    Reported keys:

    * ``top1``: top-1 accuracy;
    * ``macro_f1``: unweighted mean of per-class F1 over the classes that
      occur in the ground truth or in the predictions (scikit-learn's
      ``f1_score(average='macro')``);
    * ``macro_auc``: unweighted mean of one-vs-rest ROC AUCs computed from
      the scores. A class absent from the evaluated set (or making up all
      of it) has no AUC; it is left out of the mean and named in a warning.
      When no class has an AUC (a set with one class), ``macro_auc`` is
      undefined and reported as NaN, with a warning saying so;
    * ``mean_recall``: mean per-class recall (balanced accuracy) over the
      classes present in the evaluated set;
    * ``recall/<class name>`` for every present class, when
      ``report_per_class``;
    * ``many_recall``, ``medium_recall``, ``few_recall``: mean recall over
      the many-, medium- and few-shot classes, grouped by their **training**
      image counts (see ``split_by``). A group without classes present in
      the evaluated set is not reported (warning).

    Args:
        class_counts (Sequence[int], optional): Training images per class.
            When None, ``dataset_meta['class_counts']`` is used, which the
            dataset must fill with the counts of its training split. Without
            either, the group recalls are skipped with a warning.
        split_by (str): ``'count'`` (default): many-shot classes have more
            than ``many_threshold`` training images, few-shot fewer than
            ``few_threshold`` (the ImageNet-LT convention, 100 / 20).
            ``'rank'``: classes sorted by training count are cut into
            thirds; use it for data sets with few classes (e.g. the 7 of
            ISIC 2018 or 8 of Kvasir), where absolute thresholds made for
            1000-class sets leave groups empty or lump all classes together.
        many_threshold (int): Many-shot threshold. Defaults to 100.
        few_threshold (int): Few-shot threshold. Defaults to 20.
        report_per_class (bool): Whether to return ``recall/<class>`` keys
            (always printed in the table). Defaults to True.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to None.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 class_counts: Optional[Sequence[int]] = None,
                 split_by: str = 'count',
                 many_threshold: int = 100,
                 few_threshold: int = 20,
                 report_per_class: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if split_by not in SPLIT_BY:
            raise ValueError(f'`split_by` must be one of {SPLIT_BY}, got '
                             f'{split_by!r}.')
        if not (isinstance(many_threshold, int) and isinstance(
                few_threshold, int) and 0 <= few_threshold <= many_threshold):
            raise ValueError(
                '`few_threshold` and `many_threshold` must be ints with '
                f'0 <= few_threshold <= many_threshold, got {few_threshold} '
                f'and {many_threshold}.')
        if class_counts is not None:
            class_counts = self._check_counts(class_counts, '`class_counts`')
        self.class_counts = class_counts
        self.split_by = split_by
        self.many_threshold = many_threshold
        self.few_threshold = few_threshold
        self.report_per_class = report_per_class

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store each sample's score vector and ground-truth label.

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs, as dicts of
                ``DataSample`` fields.
        """
        for sample in data_samples:
            if 'pred_score' not in sample:
                raise KeyError('LongTailClsMetric needs `pred_score` in the '
                               'data samples (AUC is computed from scores).')
            label = torch.as_tensor(sample['gt_label']).reshape(-1)
            if label.numel() != 1:
                raise ValueError('LongTailClsMetric expects one `gt_label` '
                                 f'per sample, got {label.numel()}.')
            score = torch.as_tensor(sample['pred_score']).detach()
            self.results.append(
                (score.float().cpu().numpy().reshape(-1), int(label.item())))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Compute the metrics over the whole evaluated set.

        Args:
            results (list[tuple]): ``(pred_score, gt_label)`` per sample.

        Returns:
            dict[str, float]: Metric name to percentage.
        """
        if not results:
            raise ValueError('LongTailClsMetric got no results to evaluate.')
        scores = np.stack([score for score, _ in results])
        labels = np.array([label for _, label in results], dtype=np.int64)
        num_classes = scores.shape[1]
        names = self._class_names(num_classes)
        cm = confusion_matrix(labels, scores.argmax(axis=1), num_classes)
        tp = np.diag(cm).astype(np.float64)
        support, predicted = cm.sum(axis=1), cm.sum(axis=0)
        present = support > 0
        recall = np.divide(tp, support, out=np.zeros_like(tp), where=present)
        f1_den = support + predicted
        f1 = np.divide(2 * tp, f1_den, out=np.zeros_like(tp), where=f1_den > 0)

        metrics = dict(top1=tp.sum() / labels.size,
                       macro_f1=f1[f1_den > 0].mean(),
                       macro_auc=self._macro_auc(labels, scores, names),
                       mean_recall=recall[present].mean())
        if self.report_per_class:
            metrics.update({
                f'recall/{names[c]}': recall[c]
                for c in np.flatnonzero(present)
            })
        groups = self._groups(num_classes)
        for group, members in groups.items():
            members = members[present[members]]
            if members.size == 0:
                _warn(f'no {group}-shot class occurs in the evaluated set; '
                      f'`{group}_recall` is not reported.')
                continue
            metrics[f'{group}_recall'] = recall[members].mean()
        metrics = {key: float(100 * value) for key, value in metrics.items()}
        self._log_table(names, support, recall, f1, groups)
        return metrics

    def _macro_auc(self, labels: np.ndarray, scores: np.ndarray,
                   names: List[str]) -> float:
        """Mean one-vs-rest AUC over classes with positives and negatives."""
        aucs, skipped = [], []
        for c in range(scores.shape[1]):
            is_pos = labels == c
            if 0 < is_pos.sum() < labels.size:
                aucs.append(one_vs_rest_auc(is_pos, scores[:, c]))
            else:
                skipped.append(names[c])
        if not aucs:
            _warn('`macro_auc` is undefined (NaN): no class has both '
                  'positive and negative samples in the evaluated set '
                  f'({labels.size} samples of class(es) '
                  f'{sorted({names[c] for c in np.unique(labels)})}).')
            return float('nan')
        if skipped:
            _warn(f'classes {skipped} are absent from the evaluated set (or '
                  'make up all of it) and are left out of `macro_auc`.')
        return float(np.mean(aucs))

    def _groups(self, num_classes: int) -> Dict[str, np.ndarray]:
        """Many/medium/few groups from the training class counts."""
        counts = self.class_counts
        if counts is None:
            meta_counts = (self.dataset_meta or {}).get('class_counts', None)
            if meta_counts is None:
                _warn('no `class_counts` given and none in the dataset meta; '
                      'many/medium/few recalls are skipped.')
                return {}
            counts = self._check_counts(meta_counts,
                                        "dataset_meta['class_counts']")
        if len(counts) != num_classes:
            raise ValueError(f'`class_counts` has {len(counts)} entries but '
                             f'the scores have {num_classes} classes.')
        return split_classes(counts, self.split_by, self.many_threshold,
                             self.few_threshold)

    def _class_names(self, num_classes: int) -> List[str]:
        """Class names from the dataset meta, else the class indices."""
        classes = (self.dataset_meta or {}).get('classes', None)
        if classes is not None and len(classes) == num_classes:
            return [str(name) for name in classes]
        return [str(c) for c in range(num_classes)]

    @staticmethod
    def _check_counts(counts: Sequence[int], name: str) -> List[int]:
        """Validate a sequence of non-negative integer class counts."""
        values = np.asarray(counts)
        if values.ndim != 1 or values.size == 0 \
                or not np.issubdtype(values.dtype, np.integer) \
                or (values < 0).any():
            raise ValueError(f'{name} must be a non-empty sequence of '
                             f'non-negative ints, got {counts!r}.')
        return values.tolist()

    def _log_table(self, names: List[str], support: np.ndarray,
                   recall: np.ndarray, f1: np.ndarray,
                   groups: Dict[str, np.ndarray]) -> None:
        """Print per-class support, group, recall and F1."""
        group_of = ['-'] * len(names)
        for group, members in groups.items():
            for c in members:
                group_of[c] = group
        table = PrettyTable()
        table.add_column('Class', names)
        table.add_column('Support', support.tolist())
        table.add_column('Group', group_of)
        table.add_column('Recall', np.round(100 * recall, 2).tolist())
        table.add_column('F1', np.round(100 * f1, 2).tolist())
        print_log('\n' + table.get_string(), logger='current')


def _warn(message: str) -> None:
    """Log a warning through the current mmengine logger."""
    print_log(f'LongTailClsMetric: {message}',
              logger='current',
              level=logging.WARNING)
