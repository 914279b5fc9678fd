# Copyright (c) medproto contributors. All rights reserved.
from .cls_label_visualizer import ClsLabelVisualizer
from .confusion import labels_from_results, plot_confusion
from .curves import curve, load_scalars, plot_curves
from .prototype_gallery import (GalleryMatch, PrototypeGallery,
                                build_prototype_gallery, gallery_dataset_cfg,
                                prototype_embeddings)
from .prototype_gallery_plot import plot_prototype_gallery
from .seg_local_visualizer import BinarySegVisualizer

__all__ = [
    'BinarySegVisualizer', 'ClsLabelVisualizer', 'GalleryMatch', 'PrototypeGallery',
    'build_prototype_gallery', 'curve', 'gallery_dataset_cfg',
    'labels_from_results', 'load_scalars', 'plot_confusion', 'plot_curves',
    'plot_prototype_gallery', 'prototype_embeddings'
]
