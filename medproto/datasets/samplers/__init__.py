# Copyright (c) medproto contributors. All rights reserved.
from .class_balanced_sampler import ClassBalancedSampler  # noqa: F401
from .resumable_infinite_sampler import ResumableInfiniteSampler  # noqa: F401
