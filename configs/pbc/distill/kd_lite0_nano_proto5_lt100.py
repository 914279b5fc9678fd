# KD from the pretrained Lite0 teacher into the nano prototype student on
# PBC-LT100 (Hinton et al. 2015; mdistiller's T = 4, weights 0.9 / 0.1).
_base_ = ['./_base_/micro_nano_proto5.py', './_base_/lite0_teacher.py']
model = dict(
    **_base_.lite0_teacher,
    distill_losses=dict(loss_kd=_base_.kd_loss),
    task_loss_weight=_base_.kd_task_loss_weight)
