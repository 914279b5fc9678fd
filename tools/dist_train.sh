#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG GPUS [train.py options]
CONFIG=$1
GPUS=$2
bash "$(dirname "$0")/dist_launch.sh" train.py "$GPUS" \
    "$CONFIG" --launcher pytorch "${@:3}"
