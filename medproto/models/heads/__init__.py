# Copyright (c) medproto contributors. All rights reserved.
from .balanced_prototype_loss import BalancedPrototypeLoss  # noqa: F401,E402
from .dynamic_prototype_manager import \
    DynamicPrototypeManager  # noqa: F401,E402
from .mixed_attention_block import MixedAttentionBlock  # noqa: F401,E402
from .multi_prototype_head import MultiPrototypeHead  # noqa: F401,E402
from .normed_linear_head import NormedLinearClsHead  # noqa: F401,E402
from .posthoc_linear_head import PostHocLinearClsHead  # noqa: F401,E402
