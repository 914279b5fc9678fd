# Every distillation method's part of a classification distiller,
# `distill_parts`, from the method pieces beside this file. A dataset's
# parts file inherits it and adds what depends on the data (CRD's
# `num_data`, Review KD's stage `shapes`, warm-ups); a pair config adds
# channels and shapes; a method config takes its part as
# `model = _base_.distill_parts.<method>`.
_base_ = [
    './kd.py', './fitnet.py', './at.py', './rkd.py', './crd.py', './dkd.py',
    './reviewkd.py'
]
distill_parts = dict(
    # KD's student task loss is weighted as mdistiller's CE; so is every
    # pair with KD.
    kd=dict(
        distill_losses=dict(loss_kd=_base_.kd_loss),
        task_loss_weight=_base_.kd_task_loss_weight),
    # Hint on one stage (the pair config gives the regressor's shapes).
    fitnet=dict(
        connectors=dict(hint=_base_.fitnet_connector),
        distill_losses=dict(loss_fitnet=_base_.fitnet_loss)),
    at=dict(distill_losses=dict(loss_at=_base_.at_loss)),
    rkd=dict(distill_losses=dict(loss_rkd=_base_.rkd_loss)),
    crd=dict(distill_losses=dict(loss_crd=_base_.crd_loss)),
    dkd=dict(distill_losses=dict(loss_dkd=_base_.dkd_loss)),
    reviewkd=dict(distill_losses=dict(loss_reviewkd=_base_.reviewkd_loss)),
)
