# Copyright (c) medproto contributors. All rights reserved.
from . import samplers, transforms  # noqa: F401
