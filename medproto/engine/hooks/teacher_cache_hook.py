# Copyright (c) medproto contributors. All rights reserved.
"""Check a distiller's teacher-output cache against the run's data."""
import os.path as osp

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from medproto.distill.teacher_cache import (OUTPUT_LOADER, TeacherCacheError,
                                            dataset_fingerprint,
                                            output_loader_of, pipeline_of)
from medproto.registry import HOOKS


@HOOKS.register_module()
class TeacherCacheHook(Hook):
    """Before training, check that the distiller's teacher cache was built
    from this run's train pipeline, data files and number of views.

    The distiller checks the teacher side of the fingerprint (checkpoint,
    teacher config, recorders, data preprocessor) when it is built; the
    data side needs the train dataloader, which only the runner has. The
    distiller refuses to read the cache until this check has passed. Add it
    to ``custom_hooks`` of every config with ``model.teacher_cache``::

        custom_hooks = [dict(type='medproto.TeacherCacheHook')]

    A ``LoadTeacherOutputs`` transform in the train pipeline (the cache
    read in the data loader) must read the distiller's cache folder; the
    hook refuses another in one line.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if getattr(model, 'teacher_cache', None) is None:
            raise ValueError('TeacherCacheHook: the model '
                             f'({type(model).__name__}) has no teacher_cache;'
                             ' set model.teacher_cache or drop the hook')
        dataset_cfg = runner.cfg.train_dataloader.dataset
        model.check_teacher_cache_data(
            dataset_fingerprint(dataset_cfg, runner.train_dataloader.dataset))
        self._check_output_loader(dataset_cfg, model.teacher_cache.path)

    @staticmethod
    def _check_output_loader(dataset_cfg, cache_path: str) -> None:
        """Refuse a ``LoadTeacherOutputs`` that reads another folder."""
        loader = output_loader_of(pipeline_of(dataset_cfg))
        if loader is None:
            return
        read = loader.get('cache')
        if not isinstance(read, str) or osp.realpath(read) != osp.realpath(
                cache_path):
            raise TeacherCacheError(
                f'the train pipeline\'s {OUTPUT_LOADER} reads {read!r} but '
                f'model.teacher_cache is {cache_path!r}: set both to the same '
                'folder (tools/train.py points the transform at '
                'model.teacher_cache)')
