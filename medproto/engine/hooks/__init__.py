# Copyright (c) medproto contributors. All rights reserved.
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = ['SafeCheckpointHook']
from .curriculum_distill_hook import CurriculumDistillHook  # noqa: F401,E402
from .freeze_unfreeze_hook import FreezeUnfreezeHook  # noqa: F401,E402
