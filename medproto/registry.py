# Copyright (c) medproto contributors. All rights reserved.
"""medproto's own registry tree.

Where each component is registered (see ``docs/scopes.md``):

* segmentation backbones, decode heads, seg losses, seg datasets and seg
  metrics live in **mmseg's** registries (``default_scope='mmseg'``);
* classification backbones, necks, heads, cls datasets, samplers and cls
  metrics live in **mmpretrain's** registries
  (``default_scope='mmpretrain'``);
* task-agnostic parts -- distillation wrappers, distillation losses,
  connectors, hooks and optimizer helpers -- live in the registries below,
  scope ``medproto``. They are children of mmengine's root registries, so a
  config under any scope reaches them with the ``medproto.`` prefix, e.g.
  ``dict(type='medproto.SingleTeacherDistiller', ...)``.
"""
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import Registry

#: Distillers, distillation losses, connectors and generic losses.
MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    scope='medproto',
    locations=['medproto.distill', 'medproto.models'])

#: Training hooks (curriculum distillation, freeze/unfreeze, safe checkpoints).
HOOKS = Registry(
    'hook',
    parent=MMENGINE_HOOKS,
    scope='medproto',
    locations=['medproto.engine.hooks'])

#: Task-agnostic metrics.
METRICS = Registry(
    'metric',
    parent=MMENGINE_METRICS,
    scope='medproto',
    locations=['medproto.evaluation'])

#: Optimizer wrapper constructors (differential learning rates).
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    scope='medproto',
    locations=['medproto.engine.optimizers'])
