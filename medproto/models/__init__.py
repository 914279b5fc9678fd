# Copyright (c) medproto contributors. All rights reserved.
from . import backbones, decode_heads, heads, layers, losses, necks  # noqa: F401
