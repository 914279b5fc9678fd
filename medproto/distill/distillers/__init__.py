# Copyright (c) medproto contributors. All rights reserved.
from .single_teacher_distiller import SingleTeacherDistiller  # noqa: F401
