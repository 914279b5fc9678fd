# MALUNet on CVC-ClinicDB (seeded 80/20 split).
_base_ = [
    '../_base_/models/malunet.py', '../_base_/datasets/cvc_clinicdb.py',
    '../_base_/default_runtime_seg.py', '../_base_/schedules/seg_adamw_cosine.py'
]
