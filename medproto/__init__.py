# Copyright (c) medproto contributors. All rights reserved.
"""medproto: medical image classification and segmentation with knowledge
distillation, as an OpenMMLab plugin.

Importing the package installs the compatibility layer (:mod:`medproto.compat`)
and registers every component in its registry (see ``docs/scopes.md``).
"""
from .compat import install as _install_compat
from .version import __version__

_install_compat()

from . import (datasets, distill, engine, evaluation, models,  # noqa: E402,F401
               visualization)

__all__ = ['__version__']
