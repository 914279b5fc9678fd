# Copyright (c) medproto contributors. All rights reserved.
"""Up-front checks of the files a run's dataloaders list."""
from .data_check import (DataError, check_config_data, check_image_file,
                         check_mask_file, check_num_classes)

__all__ = ['DataError', 'check_config_data', 'check_image_file',
           'check_mask_file', 'check_num_classes']
