# + MHF_block_v2 with AMAFDSGModule, linear head.
_base_ = [
    '../_base_/models/dual_nano_mhfv2_amafdsg.py',
    './_base_/pbc_lt100_cpu.py'
]
