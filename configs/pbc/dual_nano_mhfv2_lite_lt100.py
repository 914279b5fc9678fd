# + MHF_block_v2 with EnhancementModuleLite, linear head.
_base_ = [
    '../_base_/models/dual_nano_mhfv2_lite.py', './_base_/pbc_lt100_cpu.py'
]
