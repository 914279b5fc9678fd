# Copyright (c) medproto contributors. All rights reserved.
from . import samplers, transforms  # noqa: F401
from .binary_seg_dataset import BinarySegDataset  # noqa: F401,E402
from .cvc_clinicdb import CVCClinicDBDataset  # noqa: F401,E402
from .image_folder_lt import ImageFolderLT  # noqa: F401,E402
from .kvasir_seg import KvasirSEGDataset  # noqa: F401,E402
from .long_tail import long_tail_counts, make_long_tail_indices  # noqa: F401,E402,E501
from .medmnist import MedMNISTDataset  # noqa: F401,E402
from .cifar100_pickle import CIFAR100Pickle  # noqa: F401,E402
