#!/usr/bin/env bash
# Does distillation pay on Kvasir-SEG? The five rows of docs/results.md at
# one budget: the pretrained teacher (EfficientNet-Lite0 U-Net) and the
# MALUNet teacher (every seed of TEACHER_SEEDS, default TEACHER_SEED; the
# students distil from the teachers of TEACHER_SEED), MAUNet alone (every
# seed of ALONE_SEEDS, default SEEDS), MAUNet + curriculum KD from MALUNet
# and MAUNet + curriculum KD from the pretrained teacher (every seed of
# SEEDS; SEEDS="" trains none); each tested on Kvasir-SEG val and on CVC-ClinicDB frames
# 1-317 (cross-dataset), with per-image counts for
# tools/benchmarks/collect_kvasir_seeds.py. The final checkpoint of each run
# is tested (no selection on the validation set).
#
#   SEEDS="42 7 0" ITERS=1500 CVC=../shared/datasets/cvc-clinicdb-part1 \
#       bash tools/benchmarks/run_kvasir_kd_seeds.sh
#
# Expects data/kvasir-seg at 256x256 (docs/results.md). A run whose folder
# has a `done` file is not trained again. ABLATION_SEEDS="42" also trains
# and tests the two term ablations from the pretrained teacher at those
# seeds: maunet_kd_lite0_outputs_kvasir.py (pixel KD + L2, no curriculum) and
# maunet_kd_lite0_imitation_kvasir.py (the imitation stage for the whole
# run, no preference stage). CACHE_SEEDS="42" builds the pretrained
# teacher's output cache (K = 8 views, work_dirs/teacher_cache/lite0_kvasir_k8)
# and trains maunet_kd_lite0_cached_kvasir.py from it at those seeds.
# IMITATION_CACHE_SEEDS, PREFERENCE_CACHE_SEEDS and FAST_CACHE_SEEDS train,
# from the same cache, each stage of the curriculum alone for the whole run
# (maunet_kd_lite0_{imitation,preference}_cached_kvasir.py) and the cached
# curriculum with its cheaper settings (maunet_kd_lite0_fast_cached_kvasir.py).
# DICEKD_SEEDS="42 7 0" trains, from the same cache, the cached curriculum
# plus a soft-Dice KD term (maunet_kd_lite0_dicekd_cached_kvasir.py) and its
# control, MAUNet alone with the task loss's Dice term weighted 2
# (maunet_dice2_kvasir.py), at those seeds. TEACHER_ROOT=DIR and
# TEACHER_ITERS=N: the students distil from the teachers trained there for N
# iterations, and no teacher is trained here (e.g. ITERS=3000 students from
# the 1,500-iteration teachers of another WORK_ROOT).
set -euo pipefail
cd "$(dirname "$0")/../.."
ITERS=${ITERS:-1500}
SEEDS=${SEEDS-42 7 0}
ALONE_SEEDS=${ALONE_SEEDS-$SEEDS}
TEACHER_SEED=${TEACHER_SEED:-42}
TEACHER_SEEDS=${TEACHER_SEEDS:-$TEACHER_SEED}
ROOT=${WORK_ROOT:-work_dirs/kvasir_kd_seeds}
CVC=${CVC:-data/cvc-clinicdb-part1}
TEACHER_ROOT=${TEACHER_ROOT:-$ROOT}
TEACHER_ITERS=${TEACHER_ITERS:-$ITERS}

train() {  # name config seed [extra cfg-options]
  local name=$1 cfg=$2 seed=$3; shift 3
  [ -f "$ROOT/$name/done" ] && return 0
  python tools/train.py "$cfg" --work-dir "$ROOT/$name" --cfg-options \
    train_cfg.max_iters="$ITERS" train_cfg.val_interval=$((ITERS / 3)) \
    param_scheduler.0.T_max="$ITERS" param_scheduler.0.end="$ITERS" \
    default_hooks.checkpoint.interval=$((ITERS / 3)) randomness.seed="$seed" "$@"
  touch "$ROOT/$name/done"
}
test_run() {  # name kvasir_config [cvc_config]
  local ckpt="$ROOT/$1/iter_$ITERS.pth"
  [ -f "$ROOT/$1/counts_kvasir.csv" ] || python tools/test.py "$2" "$ckpt" \
    --work-dir "$ROOT/$1/test_kvasir" \
    --cfg-options test_evaluator.counts_file="$ROOT/$1/counts_kvasir.csv"
  # without a cross-dataset config, the Kvasir config on CVC-ClinicDB
  local cvc=("$2" test_dataloader.dataset.type=CVCClinicDBDataset
             test_dataloader.dataset.data_prefix=None
             test_dataloader.dataset.split=all)
  [ $# -ge 3 ] && cvc=("$3")
  [ -f "$ROOT/$1/counts_cvc.csv" ] || python tools/test.py "${cvc[0]}" \
    "$ckpt" --work-dir "$ROOT/$1/test_cvc" --cfg-options "${cvc[@]:1}" \
    test_dataloader.dataset.data_root="$CVC" \
    test_evaluator.counts_file="$ROOT/$1/counts_cvc.csv"
}

T=$TEACHER_SEED
LITE0_CKPT="$TEACHER_ROOT/lite0_teacher_s$T/iter_$TEACHER_ITERS.pth"
MALUNET_CKPT="$TEACHER_ROOT/malunet_s$T/iter_$TEACHER_ITERS.pth"
[ "$TEACHER_ROOT" = "$ROOT" ] || TEACHER_SEEDS=""  # trained elsewhere
# the teachers of the table ran with mmengine's loop and sampler (before the
# resumable loop became the seg default): the same data order here
for s in $TEACHER_SEEDS; do
  train lite0_teacher_s$s configs/seg_teacher/effnet_lite0_unet_kvasir.py \
    "$s" train_cfg.type=IterBasedTrainLoop
  train malunet_s$s configs/malunet/malunet_kvasir.py "$s" \
    train_cfg.type=IterBasedTrainLoop
  test_run lite0_teacher_s$s configs/seg_teacher/effnet_lite0_unet_kvasir.py \
    configs/cross_dataset/effnet_lite0_unet_kvasir_on_cvc.py
  test_run malunet_s$s configs/malunet/malunet_kvasir.py \
    configs/cross_dataset/malunet_kvasir_on_cvc.py
done
for s in $ALONE_SEEDS; do
  train maunet_s$s configs/maunet/maunet_kvasir.py "$s"
  test_run maunet_s$s configs/maunet/maunet_kvasir.py \
    configs/cross_dataset/maunet_kvasir_on_cvc.py
done
for s in $SEEDS; do
  train maunet_kd_malunet_s$s configs/maunet/maunet_kd_kvasir.py "$s" \
    model.teacher_ckpt="$MALUNET_CKPT"
  train maunet_kd_lite0_s$s configs/maunet/maunet_kd_lite0_kvasir.py "$s" \
    model.teacher_ckpt="$LITE0_CKPT"
  test_run maunet_kd_malunet_s$s configs/maunet/maunet_kd_kvasir.py \
    configs/cross_dataset/maunet_kd_kvasir_on_cvc.py
  test_run maunet_kd_lite0_s$s configs/maunet/maunet_kd_lite0_kvasir.py \
    configs/cross_dataset/maunet_kd_lite0_kvasir_on_cvc.py
done
for s in ${ABLATION_SEEDS:-}; do
  for terms in outputs imitation; do
    train maunet_kd_lite0_${terms}_s$s \
      configs/maunet/maunet_kd_lite0_${terms}_kvasir.py "$s" \
      model.teacher_ckpt="$LITE0_CKPT"
    test_run maunet_kd_lite0_${terms}_s$s \
      configs/maunet/maunet_kd_lite0_${terms}_kvasir.py
  done
done
cache=work_dirs/teacher_cache/lite0_kvasir_k8
build_cache() {
  [ -d "$cache" ] || python tools/misc/build_teacher_cache.py \
    configs/maunet/maunet_kd_lite0_cached_kvasir.py \
    "$LITE0_CKPT" --num-views 8 --out "$cache"
}
for s in ${CACHE_SEEDS:-}; do
  build_cache
  train maunet_kd_lite0_cached_s$s configs/maunet/maunet_kd_lite0_cached_kvasir.py \
    "$s" model.teacher_ckpt="$LITE0_CKPT" \
    model.teacher_cache="$cache"
  test_run maunet_kd_lite0_cached_s$s configs/maunet/maunet_kd_lite0_kvasir.py
done
# the term ablations of the cached curriculum, from the same cache: each
# stage for the whole run, and the curriculum with pooled skips and fewer
# InfoNCE pixels
for terms in imitation preference fast; do
  seeds_of=${terms^^}_CACHE_SEEDS
  for s in ${!seeds_of:-}; do
    build_cache
    train maunet_kd_lite0_${terms}_cached_s$s \
      configs/maunet/maunet_kd_lite0_${terms}_cached_kvasir.py "$s" \
      model.teacher_ckpt="$LITE0_CKPT" \
      model.teacher_cache="$cache"
    test_run maunet_kd_lite0_${terms}_cached_s$s \
      configs/maunet/maunet_kd_lite0_kvasir.py
  done
done
for s in ${DICEKD_SEEDS:-}; do
  build_cache
  train maunet_kd_lite0_dicekd_cached_s$s \
    configs/maunet/maunet_kd_lite0_dicekd_cached_kvasir.py "$s" \
    model.teacher_ckpt="$LITE0_CKPT" \
    model.teacher_cache="$cache"
  test_run maunet_kd_lite0_dicekd_cached_s$s configs/maunet/maunet_kd_lite0_kvasir.py
  train maunet_dice2_s$s configs/maunet/maunet_dice2_kvasir.py "$s"
  test_run maunet_dice2_s$s configs/maunet/maunet_kvasir.py \
    configs/cross_dataset/maunet_kvasir_on_cvc.py
done
