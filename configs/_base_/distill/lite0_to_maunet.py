# What an EfficientNet-Lite0 U-Net teacher (configs/seg_teacher/) -> MAUNet
# student distiller records (mmseg scope), used by
# configs/maunet/maunet_kd_lite0_kvasir.py. The skips have the same strides
# (H/2 .. H/32) but other channels, so 1x1 connectors map the student's
# skips and its last decoder stage (the embedding) to the teacher's
# channels; the losses read 'c.skip<i>' and 'c.embed'.
student_skips = (8, 16, 24, 32, 48)      # MAUNet encoder1..5
teacher_skips = (16, 24, 40, 112, 320)   # Lite0 blocks 0, 1, 2, 4, 6
student_recorders = dict(
    logits='decode_head.conv_seg', embed='backbone.decoder5',
    **{f'skip{i}': f'backbone.encoder{i}' for i in range(1, 6)})
teacher_recorders = dict(
    logits='decode_head.conv_seg', embed='backbone.decoder4',
    **{f'skip{i}': f'backbone.encoder.blocks.{b}'
       for i, b in zip(range(1, 6), (0, 1, 2, 4, 6))})
connectors = dict(
    embed=dict(type='medproto.Conv1x1Connector', in_channels=8,
               out_channels=16, input='s.embed'),
    **{f'skip{i}': dict(type='medproto.Conv1x1Connector', in_channels=cs,
                        out_channels=ct, input=f's.skip{i}')
       for i, cs, ct in zip(range(1, 6), student_skips, teacher_skips)})
# the skip connectors alone (configs whose terms do not read the embedding)
skip_connectors = {f'skip{i}': connectors[f'skip{i}'] for i in range(1, 6)}
# The teacher-output cache of this pair on Kvasir-SEG (K = 8 views), built by
# tools/misc/build_teacher_cache.py as maunet_kd_lite0_cached_kvasir.py says;
# every cached config of the pair reads it.
lite0_kvasir_cache = 'work_dirs/teacher_cache/lite0_kvasir_k8'
# The data loader's workers read each sample's cached outputs (after
# PackSegInputs), so the training step does not read the cache itself.
lite0_kvasir_cache_loader = dict(type='LoadTeacherOutputs',
                                 cache=lite0_kvasir_cache)
