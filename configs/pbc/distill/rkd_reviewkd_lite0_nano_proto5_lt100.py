# RKD + Review KD (the best pair from the micro teacher) from the pretrained
# Lite0 teacher into the nano prototype student on PBC-LT100.
_base_ = ['./_base_/lite0_nano_proto5.py']
model = dict(
    distill_losses=dict(
        loss_rkd=_base_.rkd_loss,
        loss_reviewkd=_base_.reviewkd_loss))
