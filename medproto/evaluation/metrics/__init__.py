# Copyright (c) medproto contributors. All rights reserved.
from .binary_seg_metric import BinarySegMetric  # noqa: F401
from .long_tail_cls_metric import LongTailClsMetric  # noqa: F401
