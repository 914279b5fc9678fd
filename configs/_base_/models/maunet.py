# MAUNet / MicroAUNet student: MALUNet's EncoderDecoder (data preprocessor,
# BinarySegHead, BCE + Dice) with the MAUNet backbone.
_base_ = ['./malunet.py']
model = dict(backbone=dict(type='MAUNet'))
