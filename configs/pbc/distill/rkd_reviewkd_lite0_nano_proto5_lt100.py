# RKD + Review KD (the best pair from the micro teacher) from the pretrained
# Lite0 teacher into the nano prototype student on PBC-LT100.
_base_ = ['./_base_/micro_nano_proto5.py', './_base_/lite0_teacher.py']
model = dict(
    **_base_.lite0_teacher,
    distill_losses=dict(
        loss_rkd=_base_.rkd_loss,
        loss_reviewkd=dict(_base_.reviewkd_loss,
                           out_channels=_base_.lite0_reviewkd_out_channels)))
