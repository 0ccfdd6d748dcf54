#!/bin/bash
# DAIN vs random, seeds 4-10 (seeds 1-3 are in bench/results/complete/*/mlp), MLP, same protocol as bench/complete/run.sh
cd /work/main
S=../shared/datasets
declare -A ARGS=(
  [il2]="--data $S/tensors/IL2_Response_Tensor.npy"
  [covid19]="--data $S/tensors/COVID19_data.npy"
  [birmingham]="--data $S/tensors/birmingham.npy"
  [kinetic-10pct]="--data $S/tensors/Kinetic.npy --mask $S/tensors/Kinetic_missing.npy --subsample 0.1"
  [ml100k-month]="--data data/ml-100k --format recbole --value rating --time-bin month"
  [wikipedia-day]="--data $S/jodie/wikipedia.tsv --format jodie --value log-count --time-bin day"
)
for t in il2 covid19 wikipedia-day ml100k-month birmingham kinetic-10pct; do
  /tmp/trustrec-s21 --threads 1 complete ${ARGS[$t]} --model mlp --augment none,dain,random --seeds 4,5,6,7,8,9,10 --max-epochs 150 --patience 10 --out /tmp/s21/dain/$t > /tmp/s21/dain/$t.log 2>&1
done
