# Copyright (c) medproto contributors. All rights reserved.
from .class_balanced_loss import (ClassBalancedCrossEntropyLoss,  # noqa: F401
                                  class_balanced_weights)
from .uncertainty_weighting import UncertaintyWeighting  # noqa: F401
from .bce_dice_loss import BceDiceLoss  # noqa: F401
from .logit_adjusted_loss import LogitAdjustedCrossEntropyLoss  # noqa: F401
from .balanced_softmax_loss import BalancedSoftmaxLoss  # noqa: F401
from .ldam_loss import LDAMLoss  # noqa: F401
