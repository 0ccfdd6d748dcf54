#!/usr/bin/env bash
# Side-by-side benchmark: RecBole 1.2.1 and trustrec on the SAME data, split and
# hyper-parameters (leave-one-out, full ranking, max length 50, SASRec d=64, 2 layers, 2 heads,
# inner 256, dropout 0.2, lr 1e-3, CE loss), 2 threads each, one after the other.
#
#   bash bench/run.sh [sasrec|gru4rec] [ml-100k|amazon-beauty] [EPOCH_CAP]
#
# Writes bench/results/{recbole,trustrec}-<model>-<dataset>.json and prints the comparison
# table (bench/compare.py). RecBole runs can take hours on 2 cores: EPOCH_CAP caps both tools'
# epochs (default 200, patience 10) and is recorded in the JSON files.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
model=${1:-sasrec}
dataset=${2:-ml-100k}
cap=${3:-200}
source bench/datasets.sh
# RecBole's batch of 256 counts targets (one per prefix sample); trustrec's samples are windows of
# up to 50 targets, so trustrec takes --batch-targets 256: the same targets per step (docs/benchmarks.md,
# "seed by seed" and the GRU4Rec section).
case "$model" in
  sasrec) rb_model=SASRec ;;
  gru4rec) rb_model=GRU4Rec ;;
  *) echo "unknown model $model" >&2; exit 2 ;;
esac
mkdir -p bench/results bench/work
bash bench/setup_recbole.sh
.venv-recbole/bin/python bench/recbole_run.py "$rb_model" "$rb_data" \
  "bench/results/recbole-$model-$dataset.json" --epochs "$cap" --stopping-step 10
cargo build -q -p trustrec-cli
out="bench/work/trustrec-$model-$dataset"
rm -rf "$out"
./target/debug/trustrec --threads 2 train "${tr_args[@]}" --model "$model" \
  --split leave-one-out --seed 2020 --batch-targets 256 --epochs "$cap" --patience 10 --out "$out" --quiet
cp "$out/results.json" "bench/results/trustrec-$model-$dataset.json"
python3 bench/compare.py "bench/results/trustrec-$model-$dataset.json" "bench/results/recbole-$model-$dataset.json"
