# MAUNet student trained alone on CVC-ClinicDB.
_base_ = [
    '../_base_/models/maunet.py', '../_base_/datasets/cvc_clinicdb.py',
    '../_base_/default_runtime_seg.py', '../_base_/schedules/seg_adamw_cosine.py'
]
