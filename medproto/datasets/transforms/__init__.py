# Copyright (c) medproto contributors. All rights reserved.
from .load_binary_mask import LoadBinaryMask  # noqa: F401
from .load_image_from_ndarray import LoadImageFromNDArray  # noqa: F401
from .view_augment import ViewAugment  # noqa: F401
from .load_teacher_outputs import LoadTeacherOutputs  # noqa: F401
