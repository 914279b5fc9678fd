# Copyright (c) medproto contributors. All rights reserved.
"""The weight initialisation of MALUNet (Ruan et al., BIBM 2022).

MALUNet's public code (``MALUNet._init_weights``, also copied by
MicroAUNet's ``MAUNet``) initialises

* ``nn.Linear``: truncated normal, std 0.02 (cut at +-2, i.e. in effect
  not truncated), bias 0;
* ``nn.Conv1d``: normal with std ``sqrt(2 / (k * out_channels))``;
* ``nn.Conv2d``: normal with std ``sqrt(2 / fan_out)``, where
  ``fan_out = k_h * k_w * out_channels / groups`` (the *grouped* fan-out, so
  a depthwise 3x3 conv gets std ``sqrt(2 / 9)``), bias 0.

Normalisation layers keep PyTorch's defaults (weight 1, bias 0).
mmengine's ``KaimingInit`` does not divide by ``groups``, hence this helper.
"""
import math

from torch import nn
from torch.nn.init import trunc_normal_

__all__ = ['malunet_init_weights']


def malunet_init_weights(module: nn.Module) -> None:
    """Initialise one module in place with MALUNet's rule.

    Use with :meth:`nn.Module.apply`: ``model.apply(malunet_init_weights)``.
    Modules other than ``Linear``, ``Conv1d`` and ``Conv2d`` are left as they
    are.

    Args:
        module (nn.Module): The module to initialise.
    """
    if isinstance(module, nn.Linear):
        trunc_normal_(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Conv1d):
        fan_out = module.kernel_size[0] * module.out_channels
        nn.init.normal_(module.weight, 0., math.sqrt(2. / fan_out))
    elif isinstance(module, nn.Conv2d):
        fan_out = (module.kernel_size[0] * module.kernel_size[1] *
                   module.out_channels) // module.groups
        nn.init.normal_(module.weight, 0., math.sqrt(2. / fan_out))
        if module.bias is not None:
            nn.init.zeros_(module.bias)
