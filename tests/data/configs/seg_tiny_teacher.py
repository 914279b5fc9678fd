# Tiny MALUNet run on the shipped Kvasir-SEG sample, for tests.
_base_ = ['./seg_tiny.py']
model = dict(backbone=dict(type='MALUNet'))
