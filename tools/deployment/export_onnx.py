# Copyright (c) medproto contributors. All rights reserved.
"""Export a trained segmentor or classifier to ONNX and verify it.

The graph takes a normalised image batch (N, 3, H, W) and returns
probabilities: (N, 1, H, W) for segmentation, (N, C) for classification.
A distiller config exports its student. See docs/tools.md.

Example::

    python tools/deployment/export_onnx.py configs/maunet/maunet_kd_kvasir.py \
        work_dirs/maunet_kd_kvasir/best.pth --out maunet.onnx \
        --shape 256 256 --verify data/kvasir/test/images
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
import numpy as np  # noqa: E402

from medproto.utils.cli import (add_cfg_options_arg,  # noqa: E402
                                add_debug_arg, friendly_errors)
from medproto.utils.model_loading import (build_model_from_config,  # noqa
                                          load_weights, unwrap_student)
from medproto.utils.onnx_export import (OnnxExportWrapper,  # noqa: E402
                                        collect_images, detect_task,
                                        export_onnx, get_preprocess,
                                        preprocess_image, switch_to_deploy,
                                        verify_onnx, write_deploy_meta)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a model to ONNX')
    parser.add_argument('config', help='config file of the model')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--shape', type=int, nargs=2, default=[256, 256],
                        metavar=('H', 'W'), help='input height and width')
    parser.add_argument('--verify', nargs='+', metavar='IMAGE_OR_DIR',
                        help='images (or folders of images) to compare '
                        'onnxruntime with PyTorch on; without it a random '
                        'batch of 2 is compared')
    parser.add_argument('--opset', type=int, default=17,
                        help='ONNX opset version')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='largest allowed max-abs difference')
    parser.add_argument('--dynamo', action='store_true',
                        help='use the torch.export-based exporter (needs '
                        'onnxscript); default: the TorchScript exporter')
    add_cfg_options_arg(parser)
    add_debug_arg(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    with friendly_errors(args.debug):
        full_model = build_model_from_config(args.config, args.cfg_options)
        load_weights(full_model, args.checkpoint)
        preprocess = get_preprocess(full_model)
        model = unwrap_student(full_model).eval()
        if model is not full_model:
            print('distiller config: exporting the student')
        for call in switch_to_deploy(model):
            print(f'called {call}()')
        task = detect_task(model)
        shape = tuple(args.shape)
        wrapper = OnnxExportWrapper(model, task).eval()
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        export_onnx(wrapper, args.out, shape, len(preprocess.mean),
                    args.opset, args.dynamo)
        meta = write_deploy_meta(args.out, task, shape, preprocess)
        print(f'saved {args.out} (task {task}, input 3x{shape[0]}x{shape[1]},'
              f' mean {preprocess.mean}, std {preprocess.std}, to_rgb '
              f'{preprocess.to_rgb}); preprocessing written to {meta}')

        if args.verify:
            inputs = {path: preprocess_image(path, shape, preprocess)
                      for path in collect_images(args.verify)}
        else:
            rng = np.random.default_rng(0)
            inputs = {'random batch of 2': rng.standard_normal(
                (2, len(preprocess.mean), *shape)).astype(np.float32)}
        diffs = verify_onnx(wrapper, args.out, inputs)
        for name, diff in diffs.items():
            print(f'max abs diff {diff:.3e}  {name}')
        worst = max(diffs.values())
        ok = worst <= args.tolerance
        print(f'overall max abs diff {worst:.3e} over {len(diffs)} input(s): '
              f'{"OK" if ok else "FAILED"} (tolerance {args.tolerance:g})')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
