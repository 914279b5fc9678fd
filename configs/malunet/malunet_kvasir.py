# MALUNet (Ruan et al., BIBM 2022), the teacher, on Kvasir-SEG (800/200).
# MALUNet's recipe: AdamW lr 1e-3 / wd 1e-2, cosine schedule, batch 8, 256x256.
_base_ = [
    '../_base_/models/malunet.py', '../_base_/datasets/kvasir_seg.py',
    '../_base_/default_runtime_seg.py', '../_base_/schedules/seg_adamw_cosine.py'
]
