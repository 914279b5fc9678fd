#!/usr/bin/env bash
# The main job, out of the box, on the real sample the project ships
# (tests/data/kvasir_seg: 6 Kvasir-SEG pairs, see tests/data/CREDITS.md):
# train a MALUNet teacher, distil it into MAUNet with the imitation ->
# preference curriculum, evaluate the student. A few minutes on a laptop CPU.
#
#   bash tools/run_demo.sh [ITERS]
set -euo pipefail
cd "$(dirname "$0")/.."
ITERS=${1:-40}
WORK=${WORK_DIR:-work_dirs/demo}
CFG=tests/data/configs
rm -rf "$WORK"  # a fresh demo each time (only its own folder)
SCHED=(train_cfg.max_iters="$ITERS" train_cfg.val_interval="$ITERS"
       param_scheduler.0.T_max="$ITERS" param_scheduler.0.end="$ITERS"
       default_hooks.checkpoint.interval="$ITERS" default_hooks.logger.interval=10)

echo "== 1/3 teacher: MALUNet, $ITERS iterations"
python tools/train.py $CFG/seg_tiny_teacher.py --work-dir "$WORK/teacher" \
  --cfg-options "${SCHED[@]}"
echo "== 2/3 student: MAUNet distilled from the teacher (curriculum KD)"
python tools/train.py $CFG/seg_tiny_kd.py --work-dir "$WORK/kd" \
  --cfg-options "${SCHED[@]}" \
  "model.teacher_ckpt=$WORK/teacher/best_Dice_iter_*.pth"
echo "== 3/3 evaluate the student"
python tools/test.py $CFG/seg_tiny_kd.py "$(ls "$WORK"/kd/best_Dice_iter_*.pth | head -n1)" \
  --work-dir "$WORK/test" --show-dir "$WORK/vis"
echo "pictures (image, ground truth, prediction, error map): $WORK/vis/vis_data/vis_image"
