# Copyright (c) medproto contributors. All rights reserved.
from .attention import (ChannelAttention,  # noqa: F401,E402
                        LocalGlobalChannelAttention,
                        MultiScaleSpatialAttention, SpatialAttention)
from .bottleneck import PreActBottleneck  # noqa: F401,E402
from .layout import nchw_to_nhwc, nchw_to_tokens, nhwc_to_nchw  # noqa: F401,E402,E501
from .scale import DynamicScalingGate, ZeroInitScale  # noqa: F401,E402
