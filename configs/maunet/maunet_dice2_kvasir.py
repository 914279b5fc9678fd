# MAUNet alone (maunet_kvasir.py) with the Dice term of its task loss
# weighted 2 instead of 1: the control of maunet_kd_lite0_dicekd_cached_
# kvasir.py, whose soft-Dice KD term adds a second Dice term against the
# teacher's map; this adds it against the ground truth instead.
_base_ = ['./maunet_kvasir.py']

model = dict(
    decode_head=dict(
        loss_decode=dict(
            type='BceDiceLoss', bce_weight=1.0, dice_weight=2.0)))
