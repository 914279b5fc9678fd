# Copyright (c) medproto contributors. All rights reserved.
"""Export a segmentor or classifier to ONNX and check it with onnxruntime.

The exported graph takes an image batch ``(N, 3, H, W)`` that is already
normalised the way the model's data preprocessor does it (channel order
converted, ``(x - mean) / std``) and returns

* segmentation: a probability map ``(N, 1, H, W)`` (sigmoid of the logits
  resized to the input size; softmax over classes, ``(N, C, H, W)``, for
  heads with more than one output channel);
* classification: softmax scores ``(N, C)``.

:func:`preprocess_image` gives that input from an image file, and
:func:`write_deploy_meta` records the preprocessing next to the model.
"""
import inspect
import json
import os
import os.path as osp
import warnings
from dataclasses import asdict, dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .cli import ConfigError

__all__ = ['Preprocess', 'OnnxExportWrapper', 'get_preprocess', 'detect_task',
           'switch_to_deploy', 'export_onnx', 'require_onnx', 'collect_images',
           'preprocess_image', 'verify_onnx', 'write_deploy_meta']

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


@dataclass
class Preprocess:
    """What the exported graph expects from its caller.

    Args:
        mean (list[float]): Per-channel mean, subtracted first.
        std (list[float]): Per-channel std, divided by.
        to_rgb (bool): Whether images read as BGR (OpenCV) are flipped to
            RGB before normalising.
    """
    mean: List[float]
    std: List[float]
    to_rgb: bool


def get_preprocess(model: nn.Module) -> Preprocess:
    """Read mean, std and channel order from ``model.data_preprocessor``.

    Works with mmengine's ``ImgDataPreprocessor``, mmseg's
    ``SegDataPreProcessor`` and mmpretrain's ``ClsDataPreprocessor``. A model
    without normalisation gets mean 0 and std 1.
    """
    proc = getattr(model, 'data_preprocessor', None)
    to_rgb = any(
        bool(getattr(proc, name, False))
        for name in ('_channel_conversion', 'channel_conversion', 'to_rgb'))
    if proc is not None and getattr(proc, '_enable_normalize', False):
        # float32 buffers: back to the config's short decimals
        mean = [float(f'{v:.6g}') for v in proc.mean.flatten().tolist()]
        std = [float(f'{v:.6g}') for v in proc.std.flatten().tolist()]
    else:
        mean, std = [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
    return Preprocess(mean=mean, std=std, to_rgb=to_rgb)


def detect_task(model: nn.Module) -> str:
    """``'seg'`` for models with a ``decode_head``, ``'cls'`` with a
    ``head``."""
    if getattr(model, 'decode_head', None) is not None:
        return 'seg'
    if getattr(model, 'head', None) is not None:
        return 'cls'
    raise ConfigError(
        f'cannot export {type(model).__name__}: the model has neither a '
        f'`decode_head` (segmentor) nor a `head` (classifier).')


class OnnxExportWrapper(nn.Module):
    """Map a normalised image batch to probabilities.

    Args:
        model (nn.Module): An mmseg segmentor or an mmpretrain classifier
            whose ``forward(inputs, mode='tensor')`` returns logits.
        task (str): ``'seg'`` or ``'cls'``.
    """

    def __init__(self, model: nn.Module, task: str) -> None:
        super().__init__()
        if task not in ('seg', 'cls'):
            raise ValueError(f"`task` must be 'seg' or 'cls', got {task!r}.")
        self.model = model
        self.task = task
        head = getattr(model, 'decode_head', None)
        self.align_corners = bool(getattr(head, 'align_corners', False))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        logits = self.model(inputs, mode='tensor')
        if isinstance(logits, (list, tuple)):
            logits = logits[-1]
        if self.task == 'cls':
            return F.softmax(logits, dim=1)
        if logits.shape[2:] != inputs.shape[2:]:
            logits = F.interpolate(
                logits, size=inputs.shape[2:], mode='bilinear',
                align_corners=self.align_corners)
        if logits.shape[1] == 1:
            return logits.sigmoid()
        return F.softmax(logits, dim=1)


def switch_to_deploy(model: nn.Module, prefix: str = '') -> List[str]:
    """Call ``switch_to_deploy()`` or ``fuse()`` where a module offers it.

    The model is walked from the top; once a module has switched, its
    children are left alone (a module's own method is expected to switch
    its children). Methods that need arguments are skipped.

    Args:
        model (nn.Module): The model, changed in place.
        prefix (str): Name of ``model`` in the reports.

    Returns:
        list[str]: ``'<module name>.<method>'`` for every call made.
    """
    for method in ('switch_to_deploy', 'fuse'):
        func = getattr(model, method, None)
        if callable(func) and not any(
                p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                    p.POSITIONAL_OR_KEYWORD)
                for p in inspect.signature(func).parameters.values()):
            func()
            return [f'{prefix or type(model).__name__}.{method}']
    called = []
    for name, child in model.named_children():
        called += switch_to_deploy(child, f'{prefix}.{name}' if prefix
                                   else name)
    return called


def require_onnx() -> None:
    """Raise one line saying what to install when ``onnx`` or
    ``onnxruntime`` is missing (export writes with one, checks with the
    other)."""
    import importlib.util
    missing = [name for name in ('onnx', 'onnxruntime')
               if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(f'ONNX export needs {" and ".join(missing)}: '
                          'pip install -e ".[onnx]" (or pip install onnx '
                          'onnxruntime)')


def export_onnx(wrapper: OnnxExportWrapper,
                out_file: str,
                shape: Tuple[int, int],
                in_channels: int = 3,
                opset: int = 17,
                dynamo: bool = False) -> None:
    """Trace ``wrapper`` and write an ONNX file with a dynamic batch axis.

    Args:
        wrapper (OnnxExportWrapper): The module to export (in eval mode).
        out_file (str): Path of the ``.onnx`` file.
        shape (tuple[int, int]): Input height and width.
        in_channels (int): Input channels. Defaults to 3.
        opset (int): ONNX opset version. Defaults to 17.
        dynamo (bool): Use the ``torch.export``-based exporter (needs the
            ``onnxscript`` package). Defaults to False: the TorchScript-based
            exporter, which works offline with torch alone.
    """
    require_onnx()
    if dynamo:
        try:
            import onnxscript  # noqa: F401
        except ImportError:
            raise ConfigError('--dynamo needs the onnxscript package '
                              '(pip install onnxscript).') from None
    dummy = torch.randn(1, in_channels, *shape)
    output_name = 'probs' if wrapper.task == 'seg' else 'scores'
    # nn.MultiheadAttention's eval fast path is one fused op
    # (aten::_native_multi_head_attention) that ONNX has no symbol for; the
    # regular path computes the same attention from exportable ops.
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter('ignore')  # the legacy exporter's notices
            torch.onnx.export(
                wrapper.eval(), (dummy, ),
                out_file,
                input_names=['input'],
                output_names=[output_name],
                opset_version=opset,
                dynamic_axes={'input': {0: 'batch'},
                              output_name: {0: 'batch'}},
                do_constant_folding=True,
                dynamo=dynamo)
    except torch.onnx.errors.UnsupportedOperatorError as err:
        raise ConfigError(f'ONNX export of {type(wrapper.model).__name__} '
                          f'failed: {err}. Try another --opset or '
                          '--dynamo.') from None
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


def collect_images(paths: Sequence[str]) -> List[str]:
    """Image files named in ``paths`` (files, or folders searched one level
    deep), sorted per folder."""
    images = []
    for path in paths:
        if osp.isdir(path):
            images += sorted(
                osp.join(path, name) for name in os.listdir(path)
                if name.lower().endswith(IMAGE_EXTENSIONS))
        elif osp.isfile(path):
            images.append(path)
        else:
            raise ConfigError(f'--verify path not found: {path}')
    if not images:
        raise ConfigError(f'no images found in --verify {" ".join(paths)}')
    return images


def preprocess_image(path: str, shape: Tuple[int, int],
                     preprocess: Preprocess) -> np.ndarray:
    """Read an image with OpenCV and turn it into the graph's input.

    Args:
        path (str): Image file.
        shape (tuple[int, int]): Height and width to resize to (bilinear).
        preprocess (Preprocess): Channel order, mean and std.

    Returns:
        np.ndarray: float32 array of shape ``(1, 3, H, W)``.
    """
    import cv2
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise ConfigError(f'cannot read image {path}.')
    img = cv2.resize(img, (shape[1], shape[0]),
                     interpolation=cv2.INTER_LINEAR).astype(np.float32)
    if preprocess.to_rgb:
        img = img[..., ::-1]
    img = (img - np.asarray(preprocess.mean, np.float32)) / np.asarray(
        preprocess.std, np.float32)
    return np.ascontiguousarray(img.transpose(2, 0, 1)[None])


def verify_onnx(wrapper: OnnxExportWrapper, onnx_file: str,
                inputs: Dict[str, np.ndarray]) -> Dict[str, float]:
    """Max absolute difference between onnxruntime and PyTorch per input.

    Args:
        wrapper (OnnxExportWrapper): The exported module.
        onnx_file (str): The ONNX file.
        inputs (dict[str, np.ndarray]): Name to ``(N, 3, H, W)`` input.

    Returns:
        dict[str, float]: Name to max absolute difference.
    """
    import onnxruntime as ort
    session = ort.InferenceSession(
        onnx_file, providers=['CPUExecutionProvider'])
    input_name = session.get_inputs()[0].name
    diffs = {}
    for name, array in inputs.items():
        with torch.no_grad():
            expected = wrapper(torch.from_numpy(array)).numpy()
        actual = session.run(None, {input_name: array})[0]
        if actual.shape != expected.shape:
            raise RuntimeError(
                f'ONNX output shape {actual.shape} differs from the PyTorch '
                f'output shape {expected.shape} for {name}.')
        diffs[name] = float(np.abs(actual - expected).max())
    return diffs


def write_deploy_meta(onnx_file: str, task: str, shape: Tuple[int, int],
                      preprocess: Preprocess) -> str:
    """Write ``<model>.json`` next to the ONNX file: the input the graph
    expects and what it returns.

    Returns:
        str: Path of the JSON file.
    """
    meta = dict(
        task=task,
        input=dict(name='input', shape=['batch', len(preprocess.mean),
                                        *shape], **asdict(preprocess),
                   note='read BGR (OpenCV), resize bilinear, flip to RGB '
                   'when to_rgb, then (x - mean) / std, CHW'),
        output=('probs: (batch, 1, H, W) foreground probability'
                if task == 'seg' else 'scores: (batch, C) softmax scores'))
    path = osp.splitext(onnx_file)[0] + '.json'
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(meta, f, indent=2)
    return path
