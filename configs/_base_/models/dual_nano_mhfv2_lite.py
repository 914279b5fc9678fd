# As dual_nano_linear.py with MHF_block_v2 + EnhancementModuleLite fusion
# (zero-initialised: equal to MHF_block at init).
_base_ = ['./dual_nano_linear.py']
model = dict(
    backbone=dict(fusion=dict(type='MHFBlockV2', enhancement='lite')))
