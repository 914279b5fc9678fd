# Copyright (c) medproto contributors. All rights reserved.
from .attention import (ChannelAttention,  # noqa: F401,E402
                        LocalGlobalChannelAttention,
                        MultiScaleSpatialAttention, SpatialAttention)
from .bottleneck import PreActBottleneck  # noqa: F401,E402
from .layout import (nchw_to_nhwc, nchw_to_tokens,  # noqa: F401,E402
                     nhwc_to_nchw)
from .scale import DynamicScalingGate, ZeroInitScale  # noqa: F401,E402
from .weight_init import malunet_init_weights  # noqa: F401,E402
from .fusion import (bn_to_affine, fuse_affine_conv1x1,  # noqa: F401,E402
                     fuse_conv_bn, fuse_modules)
from .depthwise_separable_conv import DepthwiseSeparableConv  # noqa: F401,E402,E501
from .dilated_gated_attention import (DilatedGatedAttention,  # noqa: F401,E402,E501
                                      GatedAttentionUnit)
from .external_attention import InvertedExternalAttention  # noqa: F401,E402
from .sc_att_bridge import (ChannelAttentionBridge,  # noqa: F401,E402
                            SCAttentionBridge, SpatialAttentionBridge)
from .unet_stages import DecoderStage, EncoderStage  # noqa: F401,E402
from .conv_bn_act import ConvBNAct  # noqa: F401,E402
from .dwd_conv import DWDBlock, DWDConv  # noqa: F401,E402
from .ldga import LightweightDGA  # noqa: F401,E402
from .lscab import (LSCAB, LightweightChannelAttentionBridge,  # noqa: F401,E402,E501
                    LightweightSpatialAttentionBridge)
from .pointwise_conv import PointwiseConv2d  # noqa: F401,E402
from .renormalize import Renormalize  # noqa: F401,E402
from .sinkhorn import sinkhorn_knopp  # noqa: F401,E402
