# CRD + Review KD distillation from the micro teacher into the nano prototype
# student on PBC-LT100: both methods' losses, one task loss.
_base_ = ['./_base_/micro_nano_proto5.py']
model = dict(
    distill_losses=dict(
        loss_crd=_base_.crd_loss,
        loss_reviewkd=_base_.reviewkd_loss))
