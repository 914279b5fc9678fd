# Review KD distillation from the micro teacher into the nano prototype
# student on PBC-LT100.
_base_ = ['./_base_/micro_nano_proto5.py']
model = dict(
    distill_losses=dict(loss_reviewkd=_base_.reviewkd_loss))
