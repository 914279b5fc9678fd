# Copyright (c) medproto contributors. All rights reserved.
from .class_balanced_sampler import ClassBalancedSampler  # noqa: F401
