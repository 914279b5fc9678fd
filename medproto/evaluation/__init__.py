# Copyright (c) medproto contributors. All rights reserved.
from . import metrics  # noqa: F401
