# AT + CRD distillation from the micro teacher into the nano prototype student
# on PBC-LT100: both methods' losses, one task loss.
_base_ = ['./_base_/micro_nano_proto5.py']
model = dict(
    distill_losses=dict(
        loss_at=_base_.at_loss,
        loss_crd=_base_.crd_loss))
