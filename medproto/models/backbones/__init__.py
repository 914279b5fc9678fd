# Copyright (c) medproto contributors. All rights reserved.
from .dual_convnext_swin import DualConvNeXtSwin  # noqa: F401,E402
from .cifar_resnet import CifarResNet  # noqa: F401,E402
from .cifar_wrn import CifarWideResNet  # noqa: F401,E402
from .efficientnet_lite import EfficientNetLite  # noqa: F401,E402
from .efficientnet_lite_unet import EfficientNetLiteUNet  # noqa: F401,E402
from .malunet import MALUNet  # noqa: F401,E402
from .maunet import MAUNet  # noqa: F401,E402
