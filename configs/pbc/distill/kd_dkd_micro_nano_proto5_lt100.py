# KD + DKD distillation from the micro teacher into the nano prototype student
# on PBC-LT100: both methods' losses, one task loss.
_base_ = ['./_base_/micro_nano_proto5.py']
model = dict(
    distill_losses=dict(
        loss_kd=_base_.kd_loss,
        loss_dkd=_base_.dkd_loss),
    task_loss_weight=_base_.kd_task_loss_weight)
