#!/usr/bin/env bash
# Usage: bash tools/dist_launch.sh SCRIPT GPUS [SCRIPT arguments]
# Runs tools/SCRIPT with torchrun, GPUS processes per node; the environment
# variables NNODES (1), NODE_RANK (0), PORT (29500) and MASTER_ADDR
# (127.0.0.1) set up multi-node runs. dist_train.sh and dist_test.sh call it.
SCRIPT=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
torchrun \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/$SCRIPT" \
    "${@:3}"
