# As dual_nano_linear_lt100.py on PBC-LT with imbalance factor 10.
_base_ = ['../_base_/models/dual_nano_linear.py', './_base_/pbc_lt10_cpu.py']
