# The classification ablation of cls_ablation.py at imbalance factor 10
# (850 ... 85 training images per class): the same rows, each on its _lt10
# config. Many / medium / few are the classes cut by training count into
# thirds (`split_by='rank'` in the lt10 configs): at factor 10 no class has
# fewer than 20 images.
#   python tools/ablation.py configs/ablations/cls_ablation_lt10.py
from mmengine.config import read_base

with read_base():
    from .cls_ablation import *  # noqa: F401,F403

name = 'cls_ablation_lt10'
configs = [
    dict(item, config=item['config'].replace('_lt100.py', '_lt10.py'))
    for item in configs  # noqa: F405
]
