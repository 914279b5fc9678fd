# Copyright (c) medproto contributors. All rights reserved.
from .path_paramwise_constructor import (  # noqa: F401,E402
    DEFAULT_LR_MULTS, PathParamwiseOptimWrapperConstructor)
from .path_rules import first_match, match_path  # noqa: F401,E402
