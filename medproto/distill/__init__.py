# Copyright (c) medproto contributors. All rights reserved.
from . import connectors, distillers, losses  # noqa: F401
