# Copyright (c) medproto contributors. All rights reserved.
from .confusion import labels_from_results, plot_confusion
from .curves import curve, load_scalars, plot_curves
from .seg_local_visualizer import BinarySegVisualizer

__all__ = [
    'BinarySegVisualizer', 'curve', 'labels_from_results', 'load_scalars',
    'plot_confusion', 'plot_curves'
]
