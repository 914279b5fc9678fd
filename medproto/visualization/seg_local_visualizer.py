# Copyright (c) medproto contributors. All rights reserved.
"""Four-panel pictures of binary segmentation results."""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmseg.registry import VISUALIZERS
from mmseg.visualization import SegLocalVisualizer

from medproto.evaluation.functional import (binary_ground_truth,
                                            binary_prediction,
                                            check_binary_options,
                                            get_pixel_data)

Color = Tuple[int, int, int]


@VISUALIZERS.register_module()
class BinarySegVisualizer(SegLocalVisualizer):
    """Draw image | ground truth | prediction | error map side by side.

    The error map shows true positives in green, false positives in red and
    false negatives in blue (RGB) over a dimmed grey copy of the image
    (true negatives and ignored pixels). The prediction is read exactly as
    :class:`~medproto.evaluation.BinarySegMetric` reads it, so the picture
    shows the pixels the metric counts. Without ``gt_sem_seg`` (or with
    ``draw_gt=False``) only image and prediction are drawn.

    It plugs into mmseg's ``SegVisualizationHook`` (``tools/test.py
    --show-dir``): the picture goes to every vis backend through
    ``add_image`` (local files, TensorBoard, ...), or to ``out_file``.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        vis_backends (list[dict], optional): Vis backend configs.
            Defaults to None.
        save_dir (str, optional): Folder for the backends. Defaults to None.
        threshold (float): Foreground probability threshold, as in
            ``BinarySegMetric``. Defaults to 0.5.
        pred_source (str): ``'auto'``, ``'seg_logits'`` or
            ``'pred_sem_seg'``. Defaults to ``'auto'``.
        one_channel_scores (str): ``'prob'`` or ``'logit'``.
            Defaults to ``'prob'``.
        ignore_index (int, optional): Ground-truth label of unlabelled
            pixels. Defaults to 255.
        mask_color (tuple[int, int, int]): RGB colour of the ground-truth
            and prediction overlays. Defaults to yellow.
        alpha (float): Opacity of the overlays, in [0, 1]. Defaults to 0.5.
        title_height (int): Height in pixels of the title strip above each
            panel; 0 draws no titles. Defaults to 20.
        **kwargs: Passed to :class:`mmseg.visualization.SegLocalVisualizer`.
    """

    TP_COLOR: Color = (0, 255, 0)
    FP_COLOR: Color = (255, 0, 0)
    FN_COLOR: Color = (0, 0, 255)

    def __init__(self,
                 name: str = 'visualizer',
                 vis_backends: Optional[List[Dict]] = None,
                 save_dir: Optional[str] = None,
                 threshold: float = 0.5,
                 pred_source: str = 'auto',
                 one_channel_scores: str = 'prob',
                 ignore_index: Optional[int] = 255,
                 mask_color: Sequence[int] = (255, 255, 0),
                 alpha: float = 0.5,
                 title_height: int = 20,
                 **kwargs) -> None:
        check_binary_options(threshold, pred_source, one_channel_scores)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'`alpha` must be in [0, 1], got {alpha!r}.')
        if len(mask_color) != 3 or not all(0 <= c <= 255 for c in mask_color):
            raise ValueError('`mask_color` must be three ints in [0, 255], '
                             f'got {mask_color!r}.')
        if not isinstance(title_height, int) or title_height < 0:
            raise ValueError('`title_height` must be an int >= 0, got '
                             f'{title_height!r}.')
        kwargs.setdefault('classes', ('background', 'foreground'))
        kwargs.setdefault('palette', [[0, 0, 0], list(mask_color)])
        super().__init__(name=name,
                         vis_backends=vis_backends,
                         save_dir=save_dir,
                         alpha=alpha,
                         **kwargs)
        self.threshold = threshold
        self.pred_source = pred_source
        self.one_channel_scores = one_channel_scores
        self.ignore_index = ignore_index
        self.mask_color = tuple(int(c) for c in mask_color)
        self.title_height = title_height

    def error_map(self,
                  image: np.ndarray,
                  pred: np.ndarray,
                  gt: np.ndarray,
                  valid: Optional[np.ndarray] = None) -> np.ndarray:
        """Colour TP / FP / FN pixels over a dimmed grey image.

        Args:
            image (np.ndarray): RGB image (H, W, 3), uint8.
            pred (np.ndarray): Bool prediction mask (H, W).
            gt (np.ndarray): Bool ground-truth mask (H, W).
            valid (np.ndarray, optional): Bool mask of labelled pixels.

        Returns:
            np.ndarray: RGB picture (H, W, 3), uint8.
        """
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        out = np.repeat((grey * 0.4).astype(np.uint8)[..., None], 3, axis=2)
        valid = np.ones_like(gt, dtype=bool) if valid is None else valid
        out[pred & gt & valid] = self.TP_COLOR
        out[pred & ~gt & valid] = self.FP_COLOR
        out[~pred & gt & valid] = self.FN_COLOR
        return out

    def draw_panels(self,
                    image: np.ndarray,
                    data_sample,
                    draw_gt: bool = True,
                    draw_pred: bool = True) -> np.ndarray:
        """Compose the panels of one sample into one RGB picture.

        Args:
            image (np.ndarray): RGB image (H, W, 3) or grey (H, W).
            data_sample (SegDataSample | dict): The model's output.
            draw_gt (bool): Draw the ground-truth panel (and the error map).
            draw_pred (bool): Draw the prediction panel (and the error map).

        Returns:
            np.ndarray: The panels side by side, (title_height + H, n * W,
            3), uint8.
        """
        image = _as_rgb(image)
        size = image.shape[:2]
        gt = valid = pred = None
        if draw_gt and get_pixel_data(data_sample, 'gt_sem_seg') is not None:
            gt, valid = (
                _resize_mask(m, size)
                for m in binary_ground_truth(data_sample, self.ignore_index))
        if draw_pred:
            pred = _resize_mask(
                binary_prediction(data_sample, self.threshold,
                                  self.pred_source, self.one_channel_scores),
                size)
        panels = [('image', image)]
        if gt is not None:
            panels.append(('ground truth', self._overlay(image, gt)))
        if pred is not None:
            panels.append(('prediction', self._overlay(image, pred)))
        if gt is not None and pred is not None:
            panels.append(('TP green FP red FN blue',
                           self.error_map(image, pred, gt, valid)))
        return np.concatenate([self._titled(t, p) for t, p in panels], axis=1)

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0,
                       with_labels: Optional[bool] = True) -> None:
        """Draw a sample and send it to ``out_file`` or the vis backends.

        Args:
            name (str): Image identifier.
            image (np.ndarray): RGB image, as the visualization hook reads.
            data_sample (SegDataSample, optional): The model's output.
            draw_gt (bool): Draw the ground truth. Defaults to True.
            draw_pred (bool): Draw the prediction. Defaults to True.
            show (bool): Display the picture in a window. Defaults to False.
            wait_time (float): Seconds to display it. Defaults to 0.
            out_file (str, optional): Write the picture there instead of to
                the backends. Defaults to None.
            step (int): Global step for the backends. Defaults to 0.
            with_labels (bool, optional): Unused; kept for mmseg's
                signature.
        """
        if data_sample is None:
            drawn = _as_rgb(image)
        else:
            drawn = self.draw_panels(image, data_sample, draw_gt, draw_pred)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
        else:
            self.add_image(name, drawn, step)

    def _overlay(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Blend ``mask_color`` into the masked pixels of ``image``."""
        out = image.astype(np.float32)
        color = np.asarray(self.mask_color, dtype=np.float32)
        out[mask] = (1 - self.alpha) * out[mask] + self.alpha * color
        return out.round().astype(np.uint8)

    def _titled(self, title: str, panel: np.ndarray) -> np.ndarray:
        """Put a white title strip above a panel."""
        if self.title_height == 0:
            return panel
        strip = np.full((self.title_height, panel.shape[1], 3),
                        255,
                        dtype=np.uint8)
        scale = self.title_height / 40
        cv2.putText(strip, title, (2, int(self.title_height * 0.75)),
                    cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
        return np.concatenate([strip, panel], axis=0)


def _as_rgb(image: np.ndarray) -> np.ndarray:
    """Return a uint8 (H, W, 3) copy of an RGB or grey image."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError('`image` must be (H, W, 3) RGB or (H, W) grey, got '
                         f'shape {image.shape}.')
    return image.astype(np.uint8)


def _resize_mask(mask: torch.Tensor, size: Tuple[int, int]) -> np.ndarray:
    """Bool mask as numpy, resized (nearest) to the image size."""
    array = mask.cpu().numpy().astype(np.uint8)
    if array.shape != size:
        array = cv2.resize(array, (size[1], size[0]),
                           interpolation=cv2.INTER_NEAREST)
    return array.astype(bool)
