#!/usr/bin/env bash
# The Kvasir-SEG experiment of docs/results.md: MALUNet teacher, MAUNet
# baseline student and curriculum-KD student, same budget and seed, tested on
# Kvasir-SEG val and on CVC-ClinicDB (cross-dataset).
#
#   ITERS=2000 SEED=42 bash tools/benchmarks/run_kvasir_kd.sh
#
# Expects data/kvasir-seg (800/200) and data/cvc-clinicdb (see docs/datasets.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
ITERS=${ITERS:-2000}
SEED=${SEED:-42}
ROOT=${WORK_ROOT:-work_dirs/kvasir_kd_${ITERS}}
COMMON=(train_cfg.max_iters="$ITERS" train_cfg.val_interval="$ITERS"
        param_scheduler.0.T_max="$ITERS" param_scheduler.0.end="$ITERS"
        default_hooks.checkpoint.interval="$ITERS" randomness.seed="$SEED")

train() {  # name config [extra cfg-options]
  local name=$1 cfg=$2; shift 2
  if [ ! -f "$ROOT/$name/done" ]; then
    python tools/train.py "$cfg" --work-dir "$ROOT/$name" \
      --cfg-options "${COMMON[@]}" "$@"
    touch "$ROOT/$name/done"
  fi
}
test_on() {  # name config
  local ckpt; ckpt=$(ls "$ROOT/$1"/best_Dice_iter_*.pth | head -n1)
  python tools/test.py "$2" "$ckpt" --work-dir "$ROOT/$1/test_$(basename "$2" .py)"
}

train malunet_kvasir configs/malunet/malunet_kvasir.py
TEACHER=$(ls "$ROOT"/malunet_kvasir/best_Dice_iter_*.pth | head -n1)
train maunet_kvasir configs/maunet/maunet_kvasir.py
train maunet_kd_kvasir configs/maunet/maunet_kd_kvasir.py model.teacher_ckpt="$TEACHER"

for m in malunet_kvasir:malunet maunet_kvasir:maunet maunet_kd_kvasir:maunet; do
  name=${m%%:*}; dir=${m##*:}
  test_on "$name" "configs/$dir/$name.py"
  test_on "$name" "configs/cross_dataset/${name}_on_cvc.py"
done
