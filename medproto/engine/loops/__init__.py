# Copyright (c) medproto contributors. All rights reserved.
from .resumable_iter_loop import ResumableIterBasedTrainLoop

__all__ = ['ResumableIterBasedTrainLoop']
