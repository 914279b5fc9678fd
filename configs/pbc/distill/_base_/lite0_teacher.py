# What the pretrained EfficientNet-Lite0 PBC teacher
# (configs/pbc/effnet_lite0_cb_lt100.py) changes in ./micro_nano_proto5.py:
# the teacher, its checkpoint and its recorders (`lite0_teacher`, for the
# distiller), and Review KD's teacher channels (FitNet / CRD configs would
# also need the teacher's shapes: (112, 8, 8) at stage 2, 1280-d). Its
# stage maps at the student's strides (4 .. 32) are its blocks 1, 2, 4, 6
# (24 / 40 / 112 / 320 channels); `pooled` is its pooled 1280-d feature.
# A method config inherits both files, e.g.
#   model = dict(**_base_.lite0_teacher,
#                distill_losses=dict(loss_kd=_base_.kd_loss))
lite0_teacher = dict(
    teacher=dict(cfg_path='medproto::pbc/effnet_lite0_cb_lt100.py'),
    teacher_ckpt='work_dirs/pbc_teacher_lite0_lt100/best_macro_f1_epoch_*.pth',
    teacher_recorders=dict(
        _delete_=True,
        logits='head.fc',
        pooled='head.fc:input',
        **{f'feat{i}': f'backbone.encoder.blocks.{b}'
           for i, b in enumerate((1, 2, 4, 6))}))
lite0_reviewkd_out_channels = [24, 40, 112, 320, 1280]
