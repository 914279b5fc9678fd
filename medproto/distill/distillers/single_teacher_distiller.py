# Copyright (c) medproto contributors. All rights reserved.
"""One teacher, one student: the distiller of ``docs/architecture.md``."""
import copy
import logging
from collections import OrderedDict
from numbers import Real
from typing import Dict, List, Mapping, Optional, Union

import numpy as np
import torch
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, load_state_dict
from torch import Tensor, nn

from medproto.distill.recorders import RecorderManager
from medproto.distill.teacher_cache import (OUTPUT_LOADER, OUTPUTS_KEY,
                                            OUTPUTS_META_KEY, TeacherCache,
                                            TeacherCacheError, cache_folder_of,
                                            sha256_file, sha256_json)
from medproto.registry import MODELS
from medproto.utils.paths import model_cfg_from_file, resolve_checkpoint
from .inputs import (InputRef, PixelwiseMap, RefDict, check_forward_arguments,
                     gather_data_field, parse_input_refs, resolve_all)

ModelCfg = Union[dict, nn.Module]
CacheCfg = Union[str, dict]
_MAX_LISTED = 8


@MODELS.register_module()
class SingleTeacherDistiller(BaseModel):
    """Distil a frozen teacher into a student of the same task.

    The student and the teacher are built under the current default scope,
    so the same wrapper serves mmseg ``EncoderDecoder`` (``default_scope=
    'mmseg'``) and mmpretrain ``ImageClassifier`` (``'mmpretrain'``). The
    distiller uses the student's data preprocessor; the teacher sees the
    same preprocessed batch.

    In ``'loss'`` mode the student computes its own task losses while
    forward hooks record the modules named in ``student_recorders``; the
    teacher then runs in ``'tensor'`` mode under ``torch.no_grad`` (only if
    an active loss reads a teacher recorder), connectors map student
    features, and every distillation loss whose scale in
    :attr:`loss_scales` is not 0 is called with the inputs its ``inputs``
    mapping binds. ``'predict'`` and ``'tensor'`` modes run the student
    alone.

    Args:
        student (dict | nn.Module): Student config (or model). A config
            ``dict(cfg_path=FILE, ...)`` takes the ``model`` of another
            config file (mmrazor style), merged with the other keys.
        teacher (dict | nn.Module): Teacher config (or model), the same way,
            e.g. ``dict(cfg_path='configs/malunet/malunet_kvasir.py')``.
        teacher_ckpt (str, optional): Teacher checkpoint (a path or a glob
            pattern matching one file), loaded strictly
            when the distiller is built. None leaves the teacher random
            (e.g. for testing a distiller checkpoint that holds the teacher
            already). Defaults to None.
        teacher_ckpt_prefix (str, optional): Load only the keys starting
            with this prefix, with the prefix removed, e.g. ``'student.'``
            to take the teacher from another distiller's checkpoint.
            Defaults to None (the checkpoint is a plain model checkpoint).
        student_recorders (dict[str, str], optional): Recorder name ->
            module source in the student, e.g. ``dict(logits='head.fc',
            pooled='head.fc:input', stage1='backbone[0]')``.
        teacher_recorders (dict[str, str], optional): The same for the
            teacher.
        connectors (dict[str, dict], optional): Connector name -> config of
            a trainable module, with an extra key ``input`` (a reference
            such as ``'s.feat2'``, or a list of references passed as
            positional arguments).
        distill_losses (dict[str, dict], optional): Loss name (starting with
            ``'loss'``) -> loss config with an extra key ``inputs``: a dict
            ``forward`` argument -> reference(s).
        task_loss_weight (float): Factor on every task loss of the student.
            Defaults to 1.0.
        loss_weighting (dict, optional): Config of a learnable weighting
            (e.g. ``dict(type='medproto.UncertaintyWeighting')``) called as
            ``weighting(losses) -> (total, log_vars)`` on all loss terms.
            Defaults to None (plain sum).
        data_preprocessor (dict, optional): Runner-level preprocessor
            config; used for the student when its config has none.
        teacher_channels_last (bool): Give the teacher its input in the
            channels-last memory format. The values are the same (up to
            float rounding); on CPU, PyTorch's convolutions with few
            channels and its max-pooling run several times faster in that
            layout (MALUNet's forward at 256x256: 1.4x), which is most of
            the cost that distillation adds to a step. Defaults to False.
        teacher_cache (str | dict, optional): A teacher-output cache folder
            (``dict(path=DIR)`` or ``DIR``) written by
            ``tools/misc/build_teacher_cache.py``: the ``'t.*'`` references
            are read from it for each sample's ``(sample_idx, view_idx)``
            (float16 on disk, float32 on the input's device) instead of
            running the teacher. The cache must fit the teacher checkpoint,
            teacher config, teacher recorders and data preprocessor (checked
            here) and the train pipeline, data and number of views (checked
            by :class:`medproto.engine.hooks.TeacherCacheHook` before
            training; the loss refuses to run before that check). See
            :mod:`medproto.distill.teacher_cache`. Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 student: ModelCfg,
                 teacher: ModelCfg,
                 teacher_ckpt: Optional[str] = None,
                 teacher_ckpt_prefix: Optional[str] = None,
                 student_recorders: Optional[Dict[str, str]] = None,
                 teacher_recorders: Optional[Dict[str, str]] = None,
                 connectors: Optional[Dict[str, dict]] = None,
                 distill_losses: Optional[Dict[str, dict]] = None,
                 task_loss_weight: float = 1.0,
                 loss_weighting: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 teacher_channels_last: bool = False,
                 teacher_cache: Optional[CacheCfg] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(teacher_channels_last, bool):
            raise ValueError('teacher_channels_last must be True or False, '
                             f'got {teacher_channels_last!r}')
        self.teacher_channels_last = teacher_channels_last
        if (isinstance(task_loss_weight, bool)
                or not isinstance(task_loss_weight, Real)
                or task_loss_weight < 0):
            raise ValueError('task_loss_weight must be a number >= 0, got '
                             f'{task_loss_weight!r}')
        self.task_loss_weight = float(task_loss_weight)
        # What a teacher cache's fingerprint is computed from.
        self._fingerprint_cfgs = dict(student=student, teacher=teacher,
                                      data_preprocessor=data_preprocessor)
        self._teacher_ckpt_file: Optional[str] = None
        self._teacher_ckpt_prefix = teacher_ckpt_prefix

        self.student = self._build_model(student, 'student',
                                         data_preprocessor)
        self.teacher = self._build_model(teacher, 'teacher', None)
        self.data_preprocessor = self.student.data_preprocessor
        if teacher_ckpt is not None:
            self.load_teacher_checkpoint(teacher_ckpt, teacher_ckpt_prefix)
        else:
            print_log('teacher_ckpt is None: the teacher keeps its initial '
                      'weights unless a distiller checkpoint is loaded',
                      logger='current', level=logging.WARNING)
        self.teacher.requires_grad_(False)
        self.teacher.eval()

        self.student_recorders = RecorderManager(student_recorders,
                                                 'student')
        self.teacher_recorders = RecorderManager(teacher_recorders,
                                                 'teacher')
        self.student_recorders.attach(self.student)
        self.teacher_recorders.attach(self.teacher)

        self.connectors = nn.ModuleDict()
        self._connector_inputs: Dict[str, object] = {}
        self._build_connectors(connectors or {})
        self.distill_losses = nn.ModuleDict()
        self._loss_inputs: Dict[str, RefDict] = {}
        self._build_losses(distill_losses or {})
        #: (loss, argument) pairs given a PixelwiseMap instead of a map.
        self._pixelwise = self._pixelwise_arguments()
        #: Loss name -> factor (0 switches the term off); set by
        #: :class:`medproto.engine.hooks.CurriculumDistillHook`.
        self.loss_scales: Dict[str, float] = {
            name: 1.0 for name in self.distill_losses}
        self.loss_weighting = (MODELS.build(loss_weighting)
                               if loss_weighting is not None else None)
        #: The teacher-output cache, or None (the teacher runs live).
        self.teacher_cache: Optional[TeacherCache] = None
        self._cache_data_checked = False
        if teacher_cache is not None:
            self.teacher_cache = self._open_teacher_cache(teacher_cache)

    # ------------------------------------------------------------ building
    @staticmethod
    def _build_model(cfg: ModelCfg, role: str,
                     data_preprocessor: Optional[dict]) -> BaseModel:
        if isinstance(cfg, nn.Module):
            model = cfg
        elif isinstance(cfg, Mapping):
            cfg = copy.deepcopy(dict(cfg))
            if 'cfg_path' in cfg:
                cfg = model_cfg_from_file(cfg)
            if data_preprocessor is not None:
                cfg.setdefault('data_preprocessor', data_preprocessor)
            model = MODELS.build(cfg)
        else:
            raise TypeError(f'{role} must be a model config dict or an '
                            f'nn.Module, got {type(cfg).__name__}')
        if not isinstance(model, BaseModel):
            raise TypeError(f'the {role} must be an mmengine BaseModel (e.g. '
                            'an mmseg EncoderDecoder or an mmpretrain '
                            f'ImageClassifier), got {type(model).__name__}')
        return model

    def _ref_names(self) -> Dict[str, List[str]]:
        return dict(s=self.student_recorders.names,
                    t=self.teacher_recorders.names, c=list(self.connectors))

    def _build_connectors(self, connectors: Mapping[str, dict]) -> None:
        for name, cfg in connectors.items():
            if not isinstance(cfg, Mapping) or 'input' not in cfg:
                raise ValueError(f'connector {name!r} must be a config dict '
                                 "with an 'input' reference, e.g. "
                                 "input='s.feat2'")
            cfg = copy.deepcopy(dict(cfg))
            source = cfg.pop('input')
            # Only connectors defined earlier may feed this one.
            self._connector_inputs[name] = parse_input_refs(
                source, f'connector {name!r}', self._ref_names())
            self.connectors[name] = MODELS.build(cfg)

    def _build_losses(self, losses: Mapping[str, dict]) -> None:
        for name, cfg in losses.items():
            if not isinstance(name, str) or not name.startswith('loss'):
                raise ValueError('distillation loss names must start with '
                                 f"'loss' (mmengine sums those), got {name!r}")
            if not isinstance(cfg, Mapping) or not isinstance(
                    cfg.get('inputs'), Mapping):
                raise ValueError(
                    f'distill loss {name!r} must be a config dict with an '
                    "'inputs' dict, e.g. inputs=dict(preds_S='s.logits', "
                    "preds_T='t.logits')")
            cfg = copy.deepcopy(dict(cfg))
            inputs = cfg.pop('inputs')
            self._loss_inputs[name] = {
                arg: parse_input_refs(ref, f'loss {name!r} input {arg!r}',
                                      self._ref_names())
                for arg, ref in inputs.items()}
            module = MODELS.build(cfg)
            check_forward_arguments(module.forward, list(inputs),
                                    f'loss {name!r}')
            self.distill_losses[name] = module

    def _pixelwise_arguments(self) -> set:
        """The (loss, argument) pairs that get a :class:`PixelwiseMap`: the
        loss lists the argument in ``pixelwise_inputs``, the argument is
        one connector output that no other input reads, and the connector
        can compute single pixels (``forward_at``). The values and
        gradients are those of the full map; only the cost differs."""
        uses: Dict[InputRef, int] = {}
        specs = list(self._connector_inputs.values()) + [
            spec for inputs in self._loss_inputs.values()
            for spec in inputs.values()]
        for spec in specs:
            for ref in spec if isinstance(spec, list) else [spec]:
                uses[ref] = uses.get(ref, 0) + 1
        pairs = set()
        for name, module in self.distill_losses.items():
            for arg in getattr(module, 'pixelwise_inputs', ()):
                ref = self._loss_inputs[name].get(arg)
                if (isinstance(ref, InputRef) and ref.kind == 'c'
                        and uses[ref] == 1 and hasattr(
                            self.connectors[ref.name], 'forward_at')):
                    pairs.add((name, arg))
        return pairs

    def load_teacher_checkpoint(self, filename: str,
                                prefix: Optional[str] = None) -> None:
        """Load the teacher's weights strictly from ``filename``.

        Args:
            filename (str): Checkpoint path, URL or a glob pattern that
                matches exactly one file.
            prefix (str, optional): Keep only the keys with this prefix and
                strip it (``'student.'`` for a distiller checkpoint).
        """
        filename = resolve_checkpoint(filename,
                                      'teacher checkpoint (model.teacher_ckpt)')
        checkpoint = CheckpointLoader.load_checkpoint(filename, 'cpu')
        state_dict = checkpoint.get('state_dict', checkpoint)
        state_dict = OrderedDict(
            (k[len('module.'):] if k.startswith('module.') else k, v)
            for k, v in state_dict.items())
        if prefix:
            state_dict = OrderedDict((k[len(prefix):], v)
                                     for k, v in state_dict.items()
                                     if k.startswith(prefix))
            if not state_dict:
                raise ValueError(f'teacher checkpoint {filename}: no key '
                                 f'starts with teacher_ckpt_prefix {prefix!r}')
        problems = _state_dict_mismatch(self.teacher, state_dict)
        if problems:
            hint = ''
            if not prefix and any(k.startswith('student.')
                                  for k in state_dict):
                hint = (" It looks like a distiller checkpoint: set "
                        "teacher_ckpt_prefix='student.' to load its student.")
            raise RuntimeError(
                f'teacher checkpoint {filename} does not fit the teacher '
                f'({type(self.teacher).__name__}): {"; ".join(problems)}.'
                f'{hint}')
        load_state_dict(self.teacher, state_dict, strict=True)
        # Keep Runner.init_weights() from re-initialising the teacher.
        self.teacher._is_init = True
        self._teacher_ckpt_file = filename
        self._teacher_ckpt_prefix = prefix

    # ------------------------------------------------------------ cache
    @property
    def teacher_recorder_sources(self) -> Dict[str, str]:
        """dict[str, str]: Teacher recorder name -> module source."""
        return {name: rec.source_str
                for name, rec in self.teacher_recorders.recorders.items()}

    def teacher_fingerprint(self) -> Dict[str, object]:
        """The teacher side of a teacher-cache fingerprint.

        Returns:
            dict: ``teacher_checkpoint`` (SHA-256 of the checkpoint file,
            plus the prefix if any), ``teacher_config`` and
            ``data_preprocessor`` (SHA-256 of their configs; the teacher's
            own ``data_preprocessor`` is left out: the teacher sees the
            student's preprocessed batch) and ``teacher_recorders`` (name
            -> source).
        """
        cfgs = self._fingerprint_cfgs
        if not all(isinstance(cfgs[k], Mapping)
                   for k in ('student', 'teacher')):
            raise TeacherCacheError(
                'teacher_cache needs the student and the teacher as config '
                'dicts (their configs are part of the cache fingerprint), '
                'not nn.Modules')
        ckpt = self._teacher_ckpt_file
        if ckpt is None or '://' in ckpt:
            raise TeacherCacheError(
                'teacher_cache needs a local teacher_ckpt file (its SHA-256 '
                f'is part of the cache fingerprint), got {ckpt!r}')
        digest = sha256_file(ckpt)
        if self._teacher_ckpt_prefix:
            digest = f'{digest}:{self._teacher_ckpt_prefix}'
        teacher = _expand_cfg(cfgs['teacher'])
        teacher.pop('data_preprocessor', None)
        student = _expand_cfg(cfgs['student'])
        preprocessor = student.get('data_preprocessor',
                                   cfgs['data_preprocessor'])
        return dict(teacher_checkpoint=digest,
                    teacher_config=sha256_json(teacher),
                    teacher_recorders=self.teacher_recorder_sources,
                    data_preprocessor=sha256_json(preprocessor))

    def _open_teacher_cache(self, cfg: CacheCfg) -> TeacherCache:
        cache = TeacherCache(cache_folder_of(cfg))
        cache.check(self.teacher_fingerprint())
        return cache

    def check_teacher_cache_data(self, fingerprint: Mapping[str, object]
                                 ) -> None:
        """Check the data side of the cache fingerprint; the loss reads
        the cache only after this check.

        Args:
            fingerprint (Mapping): ``pipeline``, ``data`` and ``num_views``
                of this run, from
                :func:`medproto.distill.teacher_cache.dataset_fingerprint`.
        """
        if self.teacher_cache is None:
            raise TeacherCacheError('check_teacher_cache_data: the '
                                    'distiller has no teacher_cache')
        missing = {'pipeline', 'data', 'num_views'} - set(fingerprint)
        if missing:
            raise TeacherCacheError('check_teacher_cache_data: the '
                                    f'fingerprint lacks {sorted(missing)}')
        self.teacher_cache.check(fingerprint)
        self._cache_data_checked = True

    def _cached_teacher(self, name: str, data_samples: list,
                        device: torch.device, cache: dict) -> Tensor:
        """Recorder ``name`` of the batch's views, read from the cache."""
        if not self._cache_data_checked:
            raise TeacherCacheError(
                'teacher_cache: the train pipeline and data were not checked '
                "against the cache: add dict(type='medproto.TeacherCacheHook')"
                ' to custom_hooks')
        if 'cache_index' not in cache:
            keys = ('sample_idx', 'view_idx')
            if not data_samples or any(k not in ds.metainfo
                                       for ds in data_samples for k in keys):
                raise TeacherCacheError(
                    "teacher_cache needs 'sample_idx' and 'view_idx' in the "
                    'metainfo of every data sample: use ViewAugment in the '
                    'train pipeline and list both in meta_keys of '
                    'PackSegInputs')
            cache['cache_index'] = tuple(
                np.array([int(ds.metainfo[k]) for ds in data_samples])
                for k in keys)
        loaded = self._loaded_teacher(name, data_samples)
        if loaded is not None:
            return loaded.to(device)
        values = self.teacher_cache.read(name, *cache['cache_index'])
        return torch.from_numpy(values).to(device=device,
                                           dtype=torch.float32)

    def _loaded_teacher(self, name: str,
                        data_samples: list) -> Optional[Tensor]:
        """Recorder ``name`` of the batch from the values that
        ``LoadTeacherOutputs`` read in the data loader (float32, on the
        CPU), or None where the samples do not carry it."""
        loaded = [ds.metainfo.get(OUTPUTS_META_KEY) for ds in data_samples]
        if any(item is None or OUTPUTS_KEY not in ds or name not in
               item['names'] for item, ds in zip(loaded, data_samples)):
            return None
        identity = self.teacher_cache.identity
        other = next((item['cache'] for item in loaded
                      if item['cache'] != identity), None)
        if other is not None:
            raise TeacherCacheError(
                f'the train pipeline\'s {OUTPUT_LOADER} read another teacher '
                f'cache ({other}) than the distiller\'s teacher_cache '
                f'{self.teacher_cache.path} ({identity}): give both the same '
                'folder')
        out = torch.empty((len(loaded), *self.teacher_cache.shapes[name]))
        layouts: Dict[tuple, tuple] = {}
        for row, (item, ds) in enumerate(zip(loaded, data_samples)):
            names = tuple(item['names'])
            if names not in layouts:
                layouts[names] = self.teacher_cache.layout(names)[name]
            start, stop, _ = layouts[names]
            out[row].view(-1).copy_(ds.get(OUTPUTS_KEY)[start:stop])
        return out

    def _run_teacher(self, inputs: Tensor, data_samples: list) -> None:
        """One teacher forward in ``'tensor'`` mode without gradients (the
        recorders keep what they record)."""
        if self.teacher_channels_last and inputs.dim() == 4:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            self.teacher(inputs, data_samples, mode='tensor')

    def record_teacher(self, inputs: Tensor,
                       data_samples: list) -> Dict[str, object]:
        """Run the teacher and return every teacher recorder's value.

        Args:
            inputs (Tensor): The preprocessed batch, (B, C, H, W).
            data_samples (list): The batch's data samples.

        Returns:
            dict: Recorder name -> recorded value (e.g. (B, ...) tensors).
        """
        with self.teacher_recorders.recording():
            self._run_teacher(inputs, data_samples)
            return {name: self.teacher_recorders.get(name)
                    for name in self.teacher_recorders.names}

    # ------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> 'SingleTeacherDistiller':
        """Set the training mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.train(False)
        return self

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """Dispatch to :meth:`loss` or to the student.

        Args:
            inputs (Tensor): The preprocessed batch.
            data_samples (list, optional): The batch's data samples.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('predict', 'tensor'):
            return self.student(inputs, data_samples, mode=mode)
        raise RuntimeError(f'invalid mode {mode!r}: the distiller supports '
                           "'loss', 'predict' and 'tensor'")

    @property
    def loss_names(self) -> List[str]:
        """list[str]: Names of the distillation losses."""
        return list(self.distill_losses)

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Task losses of the student plus the active distillation losses.

        Args:
            inputs (Tensor): The preprocessed batch.
            data_samples (list): The batch's data samples.

        Returns:
            dict[str, Tensor]: Losses (keys containing ``'loss'`` are summed
            by mmengine) and logged values.
        """
        unknown = set(self.loss_scales) - set(self.distill_losses)
        if unknown:
            raise KeyError(f'loss_scales names unknown losses '
                           f'{sorted(unknown)}; losses: {self.loss_names}')
        progress = self._progress()
        cache: Dict[object, object] = {}
        with self.student_recorders.recording(), \
                self.teacher_recorders.recording():
            losses = self._task_losses(self.student.loss(inputs, data_samples))

            def resolve(ref: InputRef):
                return self._resolve(ref, cache, inputs, data_samples)

            for name, module in self.distill_losses.items():
                scale = float(self.loss_scales.get(name, 1.0))
                if scale == 0:
                    continue
                if name in losses:
                    raise KeyError(f'distill loss name {name!r} is also a '
                                   'task loss of the student; rename it')
                kwargs = {
                    arg: (self._pixelwise_map(spec, resolve)
                          if (name, arg) in self._pixelwise else
                          resolve_all(spec, resolve))
                    for arg, spec in self._loss_inputs[name].items()}
                module.progress = dict(progress)
                losses[name] = module(**kwargs) * scale
        if self.loss_weighting is not None:
            return self._weighted(losses)
        return losses

    # ------------------------------------------------------------ helpers
    def _task_losses(self, losses: Mapping[str, object]) -> Dict[str, object]:
        """Weight the student's losses; a bare ``'loss'`` (mmpretrain's
        classifiers) becomes ``'loss_task'``, because mmengine logs the
        total under ``'loss'`` and the two would collide."""
        weighted = {}
        for key, value in losses.items():
            if 'loss' in key and self.task_loss_weight != 1.0:
                value = _scale(value, self.task_loss_weight)
            weighted['loss_task' if key == 'loss' else key] = value
        return weighted

    def _resolve(self, ref: InputRef, cache: dict, inputs: Tensor,
                 data_samples: list):
        if ref in cache:
            return cache[ref]
        if ref.kind == 's':
            value = self.student_recorders.get(ref.name)
        elif ref.kind == 't' and self.teacher_cache is not None:
            value = self._cached_teacher(ref.name, data_samples,
                                         inputs.device, cache)
        elif ref.kind == 't':
            if 'teacher_ran' not in cache:
                self._run_teacher(inputs, data_samples)
                cache['teacher_ran'] = True
            value = self.teacher_recorders.get(ref.name)
        elif ref.kind == 'c':
            args = resolve_all(
                self._connector_inputs[ref.name],
                lambda r: self._resolve(r, cache, inputs, data_samples))
            args = args if isinstance(args, list) else [args]
            value = self.connectors[ref.name](*args)
        else:
            value = gather_data_field(ref.name, data_samples, inputs.device)
        cache[ref] = value
        return value

    def _pixelwise_map(self, ref: InputRef, resolve) -> PixelwiseMap:
        """The connector ``ref`` on its resolved inputs, not yet run."""
        args = resolve_all(self._connector_inputs[ref.name], resolve)
        return PixelwiseMap(self.connectors[ref.name],
                            args if isinstance(args, list) else [args])

    def _weighted(self, losses: Dict[str, object]) -> Dict[str, Tensor]:
        terms = {k: v for k, v in losses.items()
                 if 'loss' in k and isinstance(v, Tensor)}
        total, log_vars = self.loss_weighting(terms)
        out = {k: v for k, v in losses.items() if k not in terms}
        for key, value in terms.items():  # log the unweighted terms
            out[_log_key(key)] = value.detach()
        for key, value in (log_vars or {}).items():
            out[_log_key(f'weighting.{key}')] = torch.as_tensor(
                value).detach()
        out['loss_weighted'] = total
        return out

    @staticmethod
    def _progress() -> Dict[str, int]:
        hub = MessageHub.get_current_instance()
        return {key: int(hub.get_info(key) or 0)
                for key in ('iter', 'epoch', 'max_iters', 'max_epochs')}


def _expand_cfg(cfg: Mapping) -> dict:
    """A model config with ``cfg_path`` expanded, as plain dicts."""
    cfg = copy.deepcopy(dict(cfg))
    if 'cfg_path' in cfg:
        cfg = model_cfg_from_file(cfg)
    return cfg


def _scale(value, factor: float):
    if isinstance(value, Tensor):
        return value * factor
    if isinstance(value, (list, tuple)):
        return type(value)(v * factor for v in value)
    return value


def _log_key(key: str) -> str:
    """A log name mmengine does not sum (no ``'loss'`` in it)."""
    return key.replace('loss', 'term')


def _state_dict_mismatch(model: nn.Module,
                         state_dict: Mapping[str, Tensor]) -> List[str]:
    """Describe missing, unexpected and wrongly shaped keys."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict
               and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state_dict if k not in expected]
    shapes = [f'{k}: checkpoint {tuple(v.shape)} vs model '
              f'{tuple(expected[k].shape)}'
              for k, v in state_dict.items()
              if k in expected and hasattr(v, 'shape')
              and v.shape != expected[k].shape]
    problems = []
    for title, keys in (('missing keys', missing),
                        ('unexpected keys', unexpected),
                        ('shape mismatch', shapes)):
        if keys:
            more = (f' (+{len(keys) - _MAX_LISTED} more)'
                    if len(keys) > _MAX_LISTED else '')
            problems.append(f'{title} {keys[:_MAX_LISTED]}{more}')
    return problems
