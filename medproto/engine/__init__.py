# Copyright (c) medproto contributors. All rights reserved.
from . import hooks, optimizers  # noqa: F401
