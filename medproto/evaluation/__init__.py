# Copyright (c) medproto contributors. All rights reserved.
from . import metrics  # noqa: F401
from .metrics import BinarySegMetric, LongTailClsMetric  # noqa: F401
