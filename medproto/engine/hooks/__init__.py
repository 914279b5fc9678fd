# Copyright (c) medproto contributors. All rights reserved.
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = ['SafeCheckpointHook']
from .curriculum_distill_hook import CurriculumDistillHook  # noqa: F401,E402
from .freeze_unfreeze_hook import FreezeUnfreezeHook  # noqa: F401,E402
from .classifier_retrain_hook import ClassifierRetrainHook  # noqa: F401,E402
from .teacher_cache_hook import TeacherCacheHook  # noqa: F401,E402
from .non_finite_loss_hook import NonFiniteLossHook  # noqa: F401,E402
from .rng_state_hook import RngStateHook  # noqa: F401,E402
from .progress_bar_hook import ProgressBarHook  # noqa: F401,E402
from .rank_mean_loss_hook import RankMeanLossHook  # noqa: F401,E402
