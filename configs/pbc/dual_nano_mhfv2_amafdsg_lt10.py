# As dual_nano_mhfv2_amafdsg_lt100.py on PBC-LT with imbalance factor 10.
_base_ = [
    '../_base_/models/dual_nano_mhfv2_amafdsg.py',
    './_base_/pbc_lt10_cpu.py'
]
