#!/usr/bin/env bash
# The PBC-LT experiment of docs/results.md: linear head vs MultiPrototypeHead
# (and other ablation configs given as arguments) on PBC made long-tailed.
#
#   bash tools/benchmarks/run_pbc_lt.sh [CONFIG ...]
#
# Default configs: linear baseline and 5-prototype head at imbalance 100.
# Expects data/pbc-blood-cells-128 (see docs/datasets.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=${WORK_ROOT:-work_dirs/pbc_lt}
SEED=${SEED:-42}
CONFIGS=("$@")
[ ${#CONFIGS[@]} -gt 0 ] || CONFIGS=(configs/pbc/dual_nano_linear_lt100.py
                                     configs/pbc/dual_nano_proto5_lt100.py)
for cfg in "${CONFIGS[@]}"; do
  name=$(basename "$cfg" .py)
  if [ ! -f "$ROOT/$name/done" ]; then
    python tools/train.py "$cfg" --work-dir "$ROOT/$name" \
      --cfg-options randomness.seed="$SEED"
    touch "$ROOT/$name/done"
  fi
  ckpt=$(ls "$ROOT/$name"/best_*.pth | head -n1)
  python tools/test.py "$cfg" "$ckpt" --work-dir "$ROOT/$name/test" \
    --out "$ROOT/$name/test/preds.pkl"
done
