# FitNet distillation from the micro teacher into the nano prototype student
# on PBC-LT100.
_base_ = ['./_base_/micro_nano_proto5.py']
model = dict(
    connectors=dict(hint=_base_.fitnet_connector),
    distill_losses=dict(loss_fitnet=_base_.fitnet_loss))
