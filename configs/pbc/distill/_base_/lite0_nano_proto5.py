# PBC-LT100: the pretrained EfficientNet-Lite0 teacher
# (configs/pbc/effnet_lite0_cb_lt100.py) -> the nano prototype student, with
# everything else of ./micro_nano_proto5.py (student, data, schedule,
# warm-ups). The teacher's stage maps at the student's strides (4 .. 32) are
# its blocks 1, 2, 4, 6 (24 / 40 / 112 / 320 channels); `pooled` is its
# pooled 1280-d head feature.
_base_ = ['./micro_nano_proto5.py']
model = dict(
    teacher=dict(cfg_path='medproto::pbc/effnet_lite0_cb_lt100.py'),
    teacher_ckpt='work_dirs/pbc_teacher_lite0_lt100/best_macro_f1_epoch_*.pth',
    teacher_recorders=dict(
        _delete_=True,
        logits='head.fc',
        pooled='head.fc:input',
        **{f'feat{i}': f'backbone.encoder.blocks.{b}'
           for i, b in enumerate((1, 2, 4, 6))}))
fitnet_connector = dict(teacher_shape=(112, 8, 8))
crd_loss = dict(t_dim=1280)
reviewkd_loss = dict(out_channels=[24, 40, 112, 320, 1280])
