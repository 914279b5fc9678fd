# Baseline: dual ConvNeXt+Swin nano, MHF_block fusion, linear head, plain CE,
# PBC-LT imbalance 100.
_base_ = ['../_base_/models/dual_nano_linear.py', './_base_/pbc_lt100_cpu.py']
