# What a MALUNet teacher -> MAUNet student distiller records (mmseg scope),
# used by configs/maunet/maunet_kd_kvasir.py: both backbones expose the
# pre-bridge skips t1..t5 as `backbone.encoder1..5` with identical shapes
# (8/16/24/32/48 channels at H/2..H/32), so no connector is needed, and the
# last decoder stage (8 x H/2) as `backbone.decoder5`. The losses on these
# recordings are binary_kd_loss, feat_align_loss, pixel_nce_loss and
# l2_loss of losses.py.
_skips = {f'skip{i}': f'backbone.encoder{i}' for i in range(1, 6)}
seg_recorders = dict(logits='decode_head.conv_seg', embed='backbone.decoder5',
                     **_skips)
# The frozen teacher runs channels-last (same values; 1.4x faster MALUNet
# forward on CPU). Pass to the distiller as teacher_channels_last.
teacher_channels_last = True
