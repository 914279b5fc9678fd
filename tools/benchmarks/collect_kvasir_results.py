# Copyright (c) medproto contributors. All rights reserved.
"""Print the Markdown table of docs/results.md from the work dirs that
tools/benchmarks/run_kvasir_kd.sh wrote.

Example::

    python tools/benchmarks/collect_kvasir_results.py work_dirs/kvasir_kd_500
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401
import torch  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from medproto.utils.efficiency import (count_flops, count_params,  # noqa
                                       measure_latency)
from medproto.utils.model_loading import (build_model_from_config,  # noqa
                                          unwrap_student)
from medproto.utils.results import read_test_metrics  # noqa: E402

RUNS = [('MALUNet (teacher)', 'malunet_kvasir', 'configs/malunet'),
        ('MAUNet (student alone)', 'maunet_kvasir', 'configs/maunet'),
        ('MAUNet + curriculum KD', 'maunet_kd_kvasir', 'configs/maunet')]
KVASIR = ['Dice', 'IoU', 'Accuracy', 'Sensitivity', 'Specificity',
          'mDice_per_image', 'mIoU_per_image']
CVC = ['Dice', 'IoU', 'mDice_per_image']


def main() -> None:
    # the first paragraph of the docstring, as one sentence
    parser = argparse.ArgumentParser(
        description=' '.join(__doc__.split('\n\n')[0].split()))
    parser.add_argument('root', help='WORK_ROOT of run_kvasir_kd.sh')
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    init_default_scope('mmseg')
    head = (['model'] + [f'Kvasir {k}' for k in KVASIR] +
            [f'CVC {k}' for k in CVC] +
            ['params', 'GMACs', 'CPU ms (b1)', 'CPU ms/img (b8)'])
    print('| ' + ' | '.join(head) + ' |')
    print('|' + '---|' * len(head))
    for label, name, folder in RUNS:
        cfg = osp.join(folder, name + '.py')
        kv = read_test_metrics(osp.join(args.root, name, f'test_{name}'))
        cvc = read_test_metrics(
            osp.join(args.root, name, f'test_{name}_on_cvc'))
        model = unwrap_student(build_model_from_config(cfg))
        if hasattr(model.backbone, 'fuse'):  # fold BN for inference
            model.backbone.fuse()
        lat = measure_latency(model, (3, 256, 256), batch_sizes=(1, 8),
                              warmup=5, iters=20)
        row = ([label] + [f'{kv[k]:.2f}' for k in KVASIR] +
               [f'{cvc[k]:.2f}' for k in CVC] +
               [f'{count_params(model):,}',
                f'{count_flops(model, (3, 256, 256)) / 1e9:.4f}',
                f'{lat[1]["median_ms"]:.1f}',
                f'{lat[8]["per_image_ms"]:.1f}'])
        print('| ' + ' | '.join(row) + ' |')


if __name__ == '__main__':
    main()
