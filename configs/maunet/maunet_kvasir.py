# MAUNet / MicroAUNet student trained alone (the baseline) on Kvasir-SEG.
_base_ = [
    '../_base_/models/maunet.py', '../_base_/datasets/kvasir_seg.py',
    '../_base_/default_runtime_seg.py', '../_base_/schedules/seg_adamw_cosine.py'
]
