# Copyright (c) medproto contributors. All rights reserved.
"""Classification pictures whose labels stay readable on small inputs."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
from mmengine.dist import master_only
from mmpretrain.registry import VISUALIZERS
from mmpretrain.visualization import UniversalVisualizer

Color = Tuple[int, int, int]

_FONT = cv2.FONT_HERSHEY_SIMPLEX


@VISUALIZERS.register_module()
class ClsLabelVisualizer(UniversalVisualizer):
    """mmpretrain's classification picture with the labels in a strip
    under the image, where they always fit.

    mmpretrain's ``UniversalVisualizer.visualize_cls`` writes the labels
    over the image at a size made for large photos: on the 128x128 blood
    cell crops of PBC they run off the right edge. Here the image is first
    enlarged (nearest neighbour, by a whole factor) until its short edge is
    at least ``min_size`` pixels, and the lines (ground truth; prediction,
    score) are written in a white strip below it, the prediction in green
    when it is right and red when it is wrong. A line too wide for the
    picture at ``font_scale`` is wrapped at spaces; a single word that is
    still too wide is drawn smaller. ``tools/test.py --show-dir`` uses this
    visualizer for classification configs whose visualizer is mmpretrain's
    ``UniversalVisualizer``.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        min_size (int): Smallest short edge of the drawn image, >= 32.
            Defaults to 256.
        font_scale (float): OpenCV font scale of the labels (0.5 is about
            11 px high), > 0. Defaults to 0.5.
        margin (int): Pixels between the text and the picture's edges, >= 0.
            Defaults to 6.
        **kwargs: Passed to ``UniversalVisualizer`` (vis_backends,
            save_dir, ...).
    """

    TEXT_COLOR: Color = (0, 0, 0)
    RIGHT_COLOR: Color = (0, 130, 0)
    WRONG_COLOR: Color = (200, 0, 0)
    BACKGROUND: Color = (255, 255, 255)

    def __init__(self,
                 name: str = 'visualizer',
                 min_size: int = 256,
                 font_scale: float = 0.5,
                 margin: int = 6,
                 **kwargs) -> None:
        if isinstance(min_size, bool) or not isinstance(
                min_size, int) or min_size < 32:
            raise ValueError(f'min_size must be an int >= 32, got '
                             f'{min_size!r}')
        if not (isinstance(font_scale, (int, float)) and font_scale > 0):
            raise ValueError(f'font_scale must be > 0, got {font_scale!r}')
        if isinstance(margin, bool) or not isinstance(margin,
                                                      int) or margin < 0:
            raise ValueError(f'margin must be an int >= 0, got {margin!r}')
        super().__init__(name=name, **kwargs)
        self.min_size = min_size
        self.font_scale = float(font_scale)
        self.margin = margin

    # ------------------------------------------------------------ drawing
    @master_only
    def visualize_cls(self,
                      image: np.ndarray,
                      data_sample,
                      classes: Optional[Sequence[str]] = None,
                      draw_gt: bool = True,
                      draw_pred: bool = True,
                      draw_score: bool = True,
                      resize: Optional[int] = None,
                      rescale_factor: Optional[float] = None,
                      text_cfg: Optional[Dict] = None,
                      show: bool = False,
                      wait_time: float = 0,
                      out_file: Optional[str] = None,
                      name: str = '',
                      step: int = 0) -> np.ndarray:
        """Draw one classification result (same arguments as mmpretrain's
        ``UniversalVisualizer.visualize_cls``; ``text_cfg`` is ignored).

        Args:
            image (np.ndarray): RGB image, (H, W, 3) uint8.
            data_sample (DataSample): ``gt_label`` and / or ``pred_label``
                (``pred_score``) of the image.
            classes (Sequence[str], optional): Class names; defaults to the
                dataset's.
            draw_gt (bool): Write the ground truth. Defaults to True.
            draw_pred (bool): Write the prediction. Defaults to True.
            draw_score (bool): Write the prediction's score. Defaults to
                True.
            resize (int, optional): Short edge to resize to first.
            rescale_factor (float, optional): Rescale factor (when no
                ``resize``).
            text_cfg (dict, optional): Unused (mmpretrain's text box).
            show (bool): Show the picture in a window. Defaults to False.
            wait_time (float): Seconds to show it. Defaults to 0.
            out_file (str, optional): Save the picture there instead of
                the vis backends.
            name (str): Image name for the backends.
            step (int): Global step for the backends.

        Returns:
            np.ndarray: The picture, (H' + strip, W', 3) RGB uint8 with
            ``min(H', W') >= min_size``.
        """
        if self.dataset_meta is not None:
            classes = classes or self.dataset_meta.get('classes', None)
        image = self.enlarged(image, resize, rescale_factor)
        lines = self.label_lines(data_sample, classes, draw_gt, draw_pred,
                                 draw_score)
        drawn = np.concatenate(
            [image, self.label_strip(lines, image.shape[1])], axis=0)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step=step)
        return drawn

    def enlarged(self,
                 image: np.ndarray,
                 resize: Optional[int] = None,
                 rescale_factor: Optional[float] = None) -> np.ndarray:
        """The image resized as asked, then enlarged by a whole factor
        (nearest neighbour: pixels stay sharp) until its short edge is at
        least ``min_size``.

        Args:
            image (np.ndarray): (H, W, 3) or (H, W) image.
            resize (int, optional): Short edge to resize to first.
            rescale_factor (float, optional): Rescale factor otherwise.

        Returns:
            np.ndarray: (H', W', 3) uint8 RGB.
        """
        image = np.asarray(image)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'image must be (H, W, 3) or (H, W), got shape '
                             f'{image.shape}')
        image = image.astype(np.uint8)
        h, w = image.shape[:2]
        if resize is not None:
            size = (resize, resize * h // w) if w < h else \
                (resize * w // h, resize)
            image = mmcv.imresize(image, size)
        elif rescale_factor is not None:
            image = mmcv.imrescale(image, rescale_factor)
        short = min(image.shape[:2])
        factor = math.ceil(self.min_size / max(short, 1))
        if factor > 1:
            image = cv2.resize(image, None, fx=factor, fy=factor,
                               interpolation=cv2.INTER_NEAREST)
        return np.ascontiguousarray(image)

    @staticmethod
    def label_lines(data_sample,
                    classes: Optional[Sequence[str]] = None,
                    draw_gt: bool = True,
                    draw_pred: bool = True,
                    draw_score: bool = True) -> List[Tuple[str, str]]:
        """The text lines of a sample and their kind.

        Returns:
            list[tuple[str, str]]: ``(text, kind)`` with kind ``'gt'``,
            ``'right'`` or ``'wrong'`` (prediction against the ground
            truth; ``'right'`` without one).
        """

        def label(i: int) -> str:
            return f'{classes[i]} ({i})' if classes is not None and \
                0 <= i < len(classes) else str(i)

        lines = []
        truth = None
        if draw_gt and 'gt_label' in data_sample:
            truth = [int(i) for i in data_sample.gt_label.tolist()]
            lines.append(('truth: ' + ', '.join(map(label, truth)), 'gt'))
        if draw_pred and 'pred_label' in data_sample:
            pred = [int(i) for i in data_sample.pred_label.tolist()]
            parts = []
            for i in pred:
                text = label(i)
                if draw_score and 'pred_score' in data_sample:
                    text += f', score {float(data_sample.pred_score[i]):.2f}'
                parts.append(text)
            kind = 'right' if truth is None or set(pred) == set(truth) \
                else 'wrong'
            lines.append(('prediction: ' + '; '.join(parts), kind))
        return lines

    def label_strip(self, lines: Sequence[Tuple[str, str]],
                    width: int) -> np.ndarray:
        """A white strip ``width`` pixels wide holding ``lines``, each
        wrapped or shrunk so that it lies inside the strip's margins.

        Args:
            lines (Sequence[tuple[str, str]]): :meth:`label_lines`.
            width (int): Strip width in pixels.

        Returns:
            np.ndarray: (h, width, 3) uint8 RGB.
        """
        room = max(width - 2 * self.margin, 1)
        rows = []  # (text, color, scale)
        for text, kind in lines:
            color = dict(gt=self.TEXT_COLOR, right=self.RIGHT_COLOR,
                         wrong=self.WRONG_COLOR)[kind]
            for row in self._wrap(text, room):
                rows.append((row, color, self._fitting_scale(row, room)))
        heights = [self._size(t, s)[1] for t, _, s in rows]
        gap = max(2, int(round(6 * self.font_scale)))
        height = sum(h + gap for h in heights) + 2 * self.margin
        strip = np.full((max(height, 1), width, 3), self.BACKGROUND,
                        dtype=np.uint8)
        y = self.margin
        for (text, color, scale), h in zip(rows, heights):
            baseline = cv2.getTextSize(text, _FONT, scale, 1)[1]
            y += h
            cv2.putText(strip, text, (self.margin, y - baseline), _FONT,
                        scale, color, 1, cv2.LINE_AA)
            y += gap
        return strip

    def _size(self, text: str, scale: float) -> Tuple[int, int]:
        """(width, height incl. the part below the baseline) of a row."""
        (w, h), baseline = cv2.getTextSize(text, _FONT, scale, 1)
        return w + 1, h + baseline + 1

    def _wrap(self, text: str, room: int) -> List[str]:
        """``text`` in rows no wider than ``room`` at ``font_scale``,
        broken at spaces (a word wider than ``room`` gets its own row)."""
        rows: List[str] = []
        for word in text.split(' '):
            candidate = f'{rows[-1]} {word}' if rows else word
            if rows and self._size(candidate, self.font_scale)[0] <= room:
                rows[-1] = candidate
            else:
                rows.append(word)
        return rows

    def _fitting_scale(self, text: str, room: int) -> float:
        """``font_scale``, or the largest smaller scale at which ``text``
        fits in ``room`` pixels."""
        scale = self.font_scale
        while self._size(text, scale)[0] > room and scale > 0.05:
            scale *= 0.9
        return scale
