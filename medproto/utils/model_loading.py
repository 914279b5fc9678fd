# Copyright (c) medproto contributors. All rights reserved.
"""Build the model of a config outside a runner and load its weights.

Shared by the tools that need a bare ``nn.Module``: the ONNX exporter
(``tools/deployment/export_onnx.py``) and the efficiency columns of the
ablation runner (``tools/ablation.py``).
"""
from typing import Dict, Optional, Union

import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from torch import nn

from .cli import ConfigError, load_config
from .setup_env import prepare_cfg

__all__ = ['build_model_from_config', 'unwrap_student', 'load_weights']


def build_model_from_config(config: Union[str, Config],
                            cfg_options: Optional[dict] = None) -> nn.Module:
    """Build ``cfg.model`` in eval mode on the CPU, without a runner.

    As in mmengine's ``Runner``, a top-level ``data_preprocessor`` goes into
    ``cfg.model`` when the model has none. A distiller is built without its
    teacher checkpoint (``teacher_ckpt`` is set to ``None``): its weights
    come from the checkpoint loaded later.

    Args:
        config (str | Config): A config file path or a loaded config.
        cfg_options (dict, optional): Overrides merged into the config,
            ``{'a.b': value}`` as ``--cfg-options`` gives them.

    Returns:
        nn.Module: The model (the whole distiller for a distiller config; see
        :func:`unwrap_student`).
    """
    cfg = load_config(config) if isinstance(config, str) else config.copy()
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise ConfigError(f'config {cfg.filename} has no `model` setting.')
    prepare_cfg(cfg)
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = None
    # like mmengine's Runner: a top-level data_preprocessor is the model's
    if cfg.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model = MODELS.build(cfg.model)
    return model.eval()


def unwrap_student(model: nn.Module) -> nn.Module:
    """The student of a distiller wrapper, or ``model`` itself.

    Args:
        model (nn.Module): A model, possibly a distiller with a ``student``
            sub-module.

    Returns:
        nn.Module: The network that runs at inference time.
    """
    student = getattr(model, 'student', None)
    return student if isinstance(student, nn.Module) else model


def _state_dict_of(checkpoint: str) -> Dict[str, torch.Tensor]:
    """The ``state_dict`` of a checkpoint file (weights-only loading)."""
    from medproto.compat import safe_torch_load
    ckpt = safe_torch_load(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ConfigError(f'checkpoint {checkpoint} holds no state_dict.')
    return {(k[len('module.'):] if k.startswith('module.') else k): v
            for k, v in state.items()}


def load_weights(model: nn.Module, checkpoint: str) -> nn.Module:
    """Load a checkpoint into ``model`` strictly.

    A distiller checkpoint (keys ``student.*`` and ``teacher.*``) can be
    loaded into the student alone: when ``model`` has no ``student``
    attribute and the checkpoint has ``student.*`` keys, those are used.

    Args:
        model (nn.Module): The model to fill.
        checkpoint (str): Path of a local checkpoint.

    Returns:
        nn.Module: ``model``.

    Raises:
        ConfigError: When keys are missing from or unexpected in the
            checkpoint.
    """
    state = _state_dict_of(checkpoint)
    if not hasattr(model, 'student') and any(
            k.startswith('student.') for k in state):
        state = {k[len('student.'):]: v for k, v in state.items()
                 if k.startswith('student.')}
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        missing = ', '.join(result.missing_keys[:5]) or 'none'
        unexpected = ', '.join(result.unexpected_keys[:5]) or 'none'
        raise ConfigError(
            f'checkpoint {checkpoint} does not match the model of the config '
            f'({len(result.missing_keys)} missing keys: {missing}; '
            f'{len(result.unexpected_keys)} unexpected keys: {unexpected}).')
    return model
