# Copyright (c) medproto contributors. All rights reserved.
"""Check a distiller's teacher-output cache against the run's data."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from medproto.distill.teacher_cache import dataset_fingerprint
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
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if getattr(model, 'teacher_cache', None) is None:
            raise ValueError('TeacherCacheHook: the model '
                             f'({type(model).__name__}) has no teacher_cache;'
                             ' set model.teacher_cache or drop the hook')
        model.check_teacher_cache_data(
            dataset_fingerprint(runner.cfg.train_dataloader.dataset,
                                runner.train_dataloader.dataset))
