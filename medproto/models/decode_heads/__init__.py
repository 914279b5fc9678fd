# Copyright (c) medproto contributors. All rights reserved.
from .binary_seg_head import BinarySegHead  # noqa: F401
