#!/usr/bin/env python3
"""Does RecBole's leave-one-out split hold the same targets as trustrec's?

    .venv-recbole/bin/python bench/split_check.py [DATASET_DIR]   (default ../shared/datasets/ml-100k)

Builds RecBole's split with the benchmark's config (bench/recbole_run.py: order TO, LS
valid_and_test) and compares each user's test and validation target with trustrec's rule: the
user's interactions sorted by timestamp, file order breaking ties (a stable sort), last = test,
second last = validation. Why: many users rate several films in the same second, so the split is
only the same if both tools break timestamp ties alike. Prints the counts of agreeing users.
"""
import collections
import os
import sys

from recbole.config import Config
from recbole.data import create_dataset, data_preparation

from recbole_run import WORK, prepare_dataset, protocol_config

here = os.path.dirname(os.path.abspath(__file__))
data_path, name, _ = prepare_dataset(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "../../shared/datasets/ml-100k"))
data_dir = os.path.join(data_path, name)
os.makedirs(WORK, exist_ok=True)
os.chdir(WORK)  # RecBole writes log/ into the working folder, as in recbole_run.py
config = Config(model="SASRec", dataset=name, config_dict=protocol_config("SASRec", data_path))
ds = create_dataset(config)
_, valid, test = data_preparation(config, ds)


def targets(loader):
    f = loader.dataset.inter_feat
    pairs = zip(f["user_id"].numpy(), f["item_id"].numpy())
    return {ds.id2token("user_id", u): ds.id2token("item_id", i) for u, i in pairs}


rb_test, rb_valid = targets(test), targets(valid)
rows = collections.defaultdict(list)
with open(os.path.join(data_dir, f"{name}.inter")) as f:
    header = next(f).rstrip("\n").split("\t")
    col = {h.split(":")[0]: k for k, h in enumerate(header)}
    for line_no, line in enumerate(f):
        x = line.rstrip("\n").split("\t")
        rows[x[col["user_id"]]].append((float(x[col["timestamp"]]), line_no, x[col["item_id"]]))
same_test = same_valid = tied = 0
for user, xs in rows.items():
    xs.sort()
    same_test += xs[-1][2] == rb_test[user]
    same_valid += xs[-2][2] == rb_valid[user]
    tied += xs[-1][0] == xs[-2][0]
print(f"{name}: {len(rows)} users; same test target {same_test}, same validation target "
      f"{same_valid}; users whose last two interactions share a timestamp: {tied}")
