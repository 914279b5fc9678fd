# The cached curriculum of maunet_kd_lite0_cached_kvasir.py with its two
# cheaper settings (the same cache, teacher and curriculum): the skip
# alignment compares the 128x128 and 64x64 skips as 32x32 block means
# (max_side=32 on their connectors and on the loss), and pixel InfoNCE
# samples 64 pixels per class and image instead of 256. A cheaper method,
# not the same one; docs/results.md compares both on Kvasir-SEG.
_base_ = ['./maunet_kd_lite0_cached_kvasir.py']

model = dict(
    connectors=dict(skip1=dict(max_side=32), skip2=dict(max_side=32)),
    distill_losses=dict(
        loss_feat=dict(max_side=32), loss_nce=dict(num_samples=64)))
