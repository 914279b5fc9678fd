# Copyright (c) medproto contributors. All rights reserved.
from .conv1x1_connector import Conv1x1Connector  # noqa: F401
from .conv_reg_connector import ConvRegConnector  # noqa: F401
from .resize_connector import ResizeConnector  # noqa: F401
