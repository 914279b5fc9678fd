# Copyright (c) medproto contributors. All rights reserved.
"""Config defaults every medproto run needs, applied by the tools."""
import torch
from mmengine.config import Config

__all__ = ['prepare_cfg']

_SAFE_HOOK = 'medproto.SafeCheckpointHook'
#: Hooks every run gets unless its config lists them (with other settings).
_DEFAULT_HOOKS = ('medproto.SafeCheckpointHook', 'medproto.RngStateHook',
                  'medproto.NonFiniteLossHook', 'medproto.RankMeanLossHook')


def prepare_cfg(cfg: Config) -> Config:
    """Make ``cfg`` import medproto and keep its checkpoints weights-only.

    * ``custom_imports`` gets ``'medproto'`` so worker processes (DDP,
      dataloader workers started with spawn) register the components too;
    * ``custom_hooks`` gets :class:`medproto.engine.hooks.SafeCheckpointHook`
      when absent, so every checkpoint of a run can be resumed with
      ``torch.load(weights_only=True)``, and likewise
      :class:`~medproto.engine.hooks.RngStateHook` (exact resume) and
      :class:`~medproto.engine.hooks.NonFiniteLossHook` (a diverging run
      stops) and :class:`~medproto.engine.hooks.RankMeanLossHook` (DDP logs
      the loss averaged over ranks);

    * a ``LoadTeacherOutputs`` in the train pipeline (the teacher-output
      cache read by the data loader) reads ``model.teacher_cache``, so a
      folder given on the command line reaches both;
    * the ``nccl`` distributed backend becomes ``gloo`` on machines without
      CUDA, and DDP wraps CPU modules without ``device_ids``, so the same
      config runs DDP on CPU.

    Args:
        cfg (Config): The config, changed in place.

    Returns:
        Config: The same config.
    """
    imports = cfg.get('custom_imports') or dict(imports=[])
    names = imports.get('imports', [])
    if isinstance(names, str):
        names = [names]
    if 'medproto' not in names:
        names = ['medproto', *names]
    imports['imports'] = names
    imports.setdefault('allow_failed_imports', False)
    cfg.custom_imports = imports

    hooks = list(cfg.get('custom_hooks') or [])
    for hook in _DEFAULT_HOOKS:
        if not any(h.get('type') in (hook, hook.split('.')[-1])
                   for h in hooks):
            hooks.append(dict(type=hook))
    cfg.custom_hooks = hooks

    dist_cfg = (cfg.get('env_cfg') or {}).get('dist_cfg') or {}
    if dist_cfg.get('backend') == 'nccl' and not torch.cuda.is_available():
        dist_cfg['backend'] = 'gloo'
    if cfg.get('launcher', 'none') != 'none' and not torch.cuda.is_available():
        # DDP over CPU modules takes no device_ids (mmengine passes the rank)
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel')
        wrapper.setdefault('device_ids', None)
        cfg.model_wrapper_cfg = wrapper
    _loader_follows_teacher_cache(cfg)
    return cfg


def _loader_follows_teacher_cache(cfg: Config) -> None:
    """Point a ``LoadTeacherOutputs`` of the train pipeline at the
    distiller's ``model.teacher_cache`` (e.g. a folder given with
    ``--cfg-options model.teacher_cache=DIR`` reaches both)."""
    from medproto.distill.teacher_cache import (TeacherCacheError,
                                                cache_folder_of,
                                                output_loader_of, pipeline_of)
    model = cfg.get('model')
    cache = model.get('teacher_cache') if isinstance(model, dict) else None
    dataset = (cfg.get('train_dataloader') or {}).get('dataset')
    if cache is None or not isinstance(dataset, dict):
        return
    try:
        cache = cache_folder_of(cache)
        loader = output_loader_of(pipeline_of(dataset))
    except TeacherCacheError:  # the distiller / runner reports it
        return
    if loader is not None:
        loader['cache'] = cache
