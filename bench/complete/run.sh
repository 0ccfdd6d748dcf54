#!/usr/bin/env bash
# DAIN vs augmentation baselines on real tensors, 3 seeds each, plus CP-ALS, and the scaling
# run. Usage: bench/complete/run.sh [TRUSTREC_BINARY] [group]   (group: a | b | costco | cp | scaling | ablation | all)
# Results land in bench/results/complete/<tensor>/ (results.json, report.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/debug/trustrec}
GROUP=${2:-all}
S=../shared/datasets
OUT=bench/results/complete
COMMON=(--augment none,dain,random,frequency --seeds 1,2,3 --max-epochs 150 --patience 10)
declare -A ARGS=(
  [il2]="--data $S/tensors/IL2_Response_Tensor.npy"
  [covid19]="--data $S/tensors/COVID19_data.npy"
  [birmingham]="--data $S/tensors/birmingham.npy"
  [kinetic-10pct]="--data $S/tensors/Kinetic.npy --mask $S/tensors/Kinetic_missing.npy --subsample 0.1"
  [ml100k-month]="--data data/ml-100k --format recbole --value rating --time-bin month"
  [wikipedia-day]="--data $S/jodie/wikipedia.tsv --format jodie --value log-count --time-bin day"
)
run() { # name model [extra...]
  local name=$1 model=$2; shift 2
  # shellcheck disable=SC2086
  "$BIN" complete ${ARGS[$name]} --model "$model" "$@" --out "$OUT/$name/$model"
}
case $GROUP in a|all) for t in il2 covid19 birmingham; do run $t mlp "${COMMON[@]}"; done ;; esac
case $GROUP in b|all) for t in ml100k-month kinetic-10pct wikipedia-day; do run $t mlp "${COMMON[@]}"; done ;; esac
case $GROUP in costco|all) for t in il2 covid19 birmingham kinetic-10pct; do run $t costco "${COMMON[@]}"; done ;; esac
case $GROUP in cp|all) for t in "${!ARGS[@]}"; do run $t cp --seeds 1,2,3 --max-epochs 150 --patience 10; done ;; esac
case $GROUP in scaling|all)
  "$BIN" complete --data $S/jodie/foursquare.tsv --format jodie --value log-count --time-bin day \
    --model mlp --scaling 0.125,0.25,0.5,1 --seeds 1,2 --max-epochs 3 --out "$OUT/scaling-foursquare" ;;
esac
# Ablations of DAIN's choices (each re-trains the same seeded first model).
ablate() { # name variant flags...
  local name=$1 variant=$2; shift 2
  # shellcheck disable=SC2086
  "$BIN" complete ${ARGS[$name]} --model mlp --augment dain --seeds 1,2,3 --max-epochs 150 \
    --patience 10 "$@" --out "$OUT/$name/ablation-$variant"
}
case $GROUP in ablation|all)
  for t in il2 covid19 ml100k-month; do
    ablate $t importance-shift --importance shift
    ablate $t importance-positive --importance positive
    ablate $t aggregate-mean --aggregate mean
    ablate $t values-mean --values mean
  done ;;
esac
# Seven more seeds of the MLP comparison (none / DAIN / random), one thread, every tensor.
case $GROUP in seeds4-10|all)
  for t in il2 covid19 wikipedia-day ml100k-month birmingham kinetic-10pct; do
    # shellcheck disable=SC2086
    "$BIN" --threads 1 complete ${ARGS[$t]} --model mlp --augment none,dain,random --seeds 4,5,6,7,8,9,10 \
      --max-epochs 150 --patience 10 --out "$OUT/seeds4-10/$t"
  done ;;
esac
