#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
bash "$(dirname "$0")/dist_launch.sh" test.py "$GPUS" \
    "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
