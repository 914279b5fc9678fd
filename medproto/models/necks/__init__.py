# Copyright (c) medproto contributors. All rights reserved.
from .amafdsg import AMAFDSGModule  # noqa: F401,E402
from .enhancement_lite import EnhancementModuleLite  # noqa: F401,E402
from .mhf_block import MHFBlock  # noqa: F401,E402
from .mhf_block_v2 import MHFBlockV2  # noqa: F401,E402
