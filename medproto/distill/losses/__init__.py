# Copyright (c) medproto contributors. All rights reserved.
from .at_loss import ATLoss  # noqa: F401
from .base_distill_loss import BaseDistillLoss  # noqa: F401
from .binary_kd_loss import BinaryKDLoss  # noqa: F401
from .crd_loss import CRDLoss  # noqa: F401
from .dice_kd_loss import DiceKDLoss  # noqa: F401
from .dkd_loss import DKDLoss  # noqa: F401
from .feature_align_loss import FeatureAlignLoss  # noqa: F401
from .fitnet_loss import FitNetLoss  # noqa: F401
from .kd_loss import KDLoss  # noqa: F401
from .l2_loss import L2Loss  # noqa: F401
from .pixel_info_nce_loss import PixelInfoNCELoss  # noqa: F401
from .review_kd_loss import ReviewKDLoss  # noqa: F401
from .rkd_loss import RKDLoss  # noqa: F401
