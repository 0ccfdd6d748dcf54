#!/usr/bin/env bash
# Evaluation speed side by side, in one run: RecBole 1.2.1's full test-evaluation pass of SASRec
# and trustrec's (through burn's forward pass and through the default plain-Rust one), same data,
# protocol (leave-one-out, full ranking, max length 50, d 64, 2 layers, 2 heads) and 2 threads.
# The cost of a pass does not depend on the weights, so RecBole times its freshly initialised
# model; trustrec times a model trained for one epoch (so that the two paths' metrics can be
# compared on real scores).
#
#   bash bench/eval_speed.sh [ml-100k|amazon-beauty] [PASSES]
#
# Writes bench/results/{recbole,trustrec}-sasrec-<dataset>-evaltime.json and prints the ratios.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
dataset=${1:-ml-100k}
passes=${2:-7}
source bench/datasets.sh
mkdir -p bench/results bench/work
bash bench/setup_recbole.sh
rb_json="bench/results/recbole-sasrec-$dataset-evaltime.json"
tr_json="bench/results/trustrec-sasrec-$dataset-evaltime.json"
.venv-recbole/bin/python bench/recbole_run.py SASRec "$rb_data" "$rb_json" --time-eval "$passes"
cargo build -q -p trustrec-cli
run="bench/work/evaltime-$dataset"
if [ ! -f "$run/results.json" ]; then
  ./target/debug/trustrec --threads 2 train "${tr_args[@]}" --model sasrec \
    --split leave-one-out --seed 2020 --epochs 1 --out "$run" --quiet
fi
./target/debug/trustrec --threads 2 bench eval --run "$run" --passes "$passes" --out "$tr_json"
python3 - "$rb_json" "$tr_json" <<'PY'
import json, sys
rb, tr = (json.load(open(p)) for p in sys.argv[1:])
r = rb["eval_only_median_seconds"]
m = tr["median_seconds"]
print(f"RecBole evaluation pass {r:.4f} s (median of {len(rb['eval_only_seconds'])})")
for k in ("evaluation_burn", "evaluation_default"):
    print(f"trustrec {k}: {m[k]:.4f} s -> {r / m[k]:.2f}x faster than RecBole")
PY
