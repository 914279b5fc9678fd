# As dual_nano_linear.py with MHF_block_v2 + AMAFDSGModule fusion
# (adaptive local/global channel + 3x3/5x5 spatial attention, dynamic
# scaling gate initialised to zero).
_base_ = ['./dual_nano_linear.py']
model = dict(
    backbone=dict(fusion=dict(type='MHFBlockV2', enhancement='amafdsg')))
