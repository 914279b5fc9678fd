# Copyright (c) medproto contributors. All rights reserved.
from . import hooks, loops, optimizers  # noqa: F401
