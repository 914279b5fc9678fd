# Copyright (c) medproto contributors. All rights reserved.
"""Save every random generator of a run in its checkpoints, so a resumed run
continues with the numbers the uninterrupted run would have drawn."""
import random
from typing import Dict, Optional, Union

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from torch import nn

from medproto.compat.checkpoint import from_safe, to_safe
from medproto.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]

#: The checkpoint entry holding the states.
KEY = 'rng_state'


def module_generators(model: nn.Module) -> Dict[str, torch.Generator]:
    """Every ``torch.Generator`` a (sub)module holds as an attribute, keyed
    ``'<module path>.<attribute>'`` (e.g. a loss's private sampling
    generator)."""
    found = {}
    for name, module in model.named_modules():
        for attr, value in vars(module).items():
            if isinstance(value, torch.Generator):
                found[f'{name}.{attr}' if name else attr] = value
    return found


def capture_rng_state(model: Optional[nn.Module] = None) -> dict:
    """The states of Python's, numpy's and torch's global generators (CPU
    and initialised CUDA devices) and of ``model``'s own generators, as
    weights-only-loadable containers."""
    state = dict(
        python=random.getstate(),
        numpy=to_safe(np.random.get_state()),
        torch=torch.get_rng_state(),
        cuda=(torch.cuda.get_rng_state_all()
              if torch.cuda.is_available() and torch.cuda.is_initialized()
              else []),
        generators={})
    if model is not None:
        state['generators'] = {
            name: gen.get_state()
            for name, gen in module_generators(model).items()
        }
    return state


def restore_rng_state(state: dict, model: Optional[nn.Module] = None) -> None:
    """Inverse of :func:`capture_rng_state`. Generators of ``model`` that
    the state does not name are left as they are."""
    state = from_safe(state)
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    np.random.set_state(tuple(state['numpy']))
    torch.set_rng_state(state['torch'])
    cuda = state.get('cuda') or []
    if cuda and torch.cuda.is_available() and \
            len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    if model is not None:
        saved = state.get('generators') or {}
        for name, gen in module_generators(model).items():
            if name in saved:
                gen.set_state(saved[name])


@HOOKS.register_module()
class RngStateHook(Hook):
    """Checkpoint and restore the random generators of a run.

    On save the checkpoint gets an ``rng_state`` entry
    (:func:`capture_rng_state`: Python, numpy, torch CPU / CUDA and every
    ``torch.Generator`` attribute of the model's modules, e.g.
    :class:`~medproto.distill.losses.PixelInfoNCELoss`'s sampler). After a
    *resume* (not a plain ``load_from``) the states are put back right
    before the first training step -- in ``before_train_iter``, after the
    loop has set up its data iterator -- or, for epoch-based loops, in
    ``before_train_epoch``, where the uninterrupted run was when the
    checkpoint was written. Validation runs between ``before_val`` and
    ``after_val`` leave the training generators as they found them, so a
    resume that repeats a validation (see
    :class:`~medproto.engine.loops.ResumableIterBasedTrainLoop`) stays
    exact; a checkpoint written during validation (``best_*``) stores the
    training state from before it. ``tools/train.py`` adds the hook when a
    config does not.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None
        self._before_val: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[KEY] = (self._before_val if self._before_val is not None
                           else capture_rng_state(self._model(runner)))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if getattr(runner, '_resume', False) and KEY in checkpoint:
            self._pending = checkpoint[KEY]

    def before_train_epoch(self, runner) -> None:
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            self._restore(runner)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        self._restore(runner)

    def before_val(self, runner) -> None:
        self._before_val = capture_rng_state(self._model(runner))

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            restore_rng_state(self._before_val, self._model(runner))
            self._before_val = None

    def _restore(self, runner) -> None:
        if self._pending is not None:
            restore_rng_state(self._pending, self._model(runner))
            self._pending = None
            runner.logger.info('restored the random generators of the '
                               'resumed checkpoint')

    @staticmethod
    def _model(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model
