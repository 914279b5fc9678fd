# Copyright (c) medproto contributors. All rights reserved.
from .binary_seg import (BinaryConfusion, binary_confusion,
                         binary_ground_truth, binary_prediction,
                         check_binary_options, foreground_probability,
                         get_pixel_data, per_image_scores)
from .bootstrap import (BootstrapResult, block_draws,
                        format_bootstrap_table, paired_seed_bootstrap,
                        seed_mean)
from .classification import (GROUP_NAMES, SPLIT_BY, confusion_matrix,
                             one_vs_rest_auc, split_classes)
from .paired_bootstrap import RECALL_METRICS, paired_bootstrap, recall_metrics
from .seg_bootstrap import (COUNTS_HEADER, SEG_METRICS, read_counts_file,
                            seg_bootstrap, seg_metrics)

__all__ = [
    'BinaryConfusion', 'binary_confusion', 'binary_ground_truth',
    'binary_prediction', 'check_binary_options', 'foreground_probability',
    'get_pixel_data', 'GROUP_NAMES', 'SPLIT_BY', 'confusion_matrix',
    'one_vs_rest_auc', 'split_classes', 'RECALL_METRICS', 'BootstrapResult',
    'paired_bootstrap', 'recall_metrics', 'SEG_METRICS', 'block_draws',
    'seg_bootstrap', 'seg_metrics', 'format_bootstrap_table',
    'paired_seed_bootstrap', 'seed_mean', 'COUNTS_HEADER', 'read_counts_file',
    'per_image_scores'
]
