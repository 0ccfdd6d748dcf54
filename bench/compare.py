#!/usr/bin/env python3
"""Side-by-side Markdown table of two benchmark results (trustrec vs RecBole).

    python3 bench/compare.py A.json B.json

Each file is either a trustrec `results.json` (written by `trustrec train`: keys
metrics.test, timing.epoch_seconds, timing.eval_seconds, timing.total_seconds,
best_epoch (0-based), peak_rss_mb) or a RecBole result from bench/recbole_run.py
(tool = "recbole": epoch_seconds, eval_seconds, best_epoch (0-based), test_metrics,
time_to_best_epoch_seconds, total_seconds, peak_rss_mb). Missing values print "n/a".
The ratio column is trustrec / RecBole when one file of each kind is given, else B / A.
Only the standard library is used.
"""

import json
import os
import sys


def get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def num(x):
    try:
        if x is None or isinstance(x, bool):
            return None
        return float(x)
    except (TypeError, ValueError):
        return None


def mean(xs):
    xs = [num(x) for x in (xs or []) if num(x) is not None] if isinstance(xs, list) else []
    return sum(xs) / len(xs) if xs else None


def lower_keys(d):
    return {str(k).lower(): v for k, v in d.items()} if isinstance(d, dict) else {}


def kind(d):
    if d.get("tool") == "recbole" or "test_metrics" in d or "recbole_version" in d:
        return "RecBole"
    if "timing" in d or "metrics" in d:
        return "trustrec"
    return "?"


def normalise(path):
    with open(path) as f:
        d = json.load(f)
    k = kind(d)
    if k == "RecBole":
        ep = d.get("epoch_seconds")
        ev = d.get("eval_seconds")
        test = lower_keys(d.get("test_metrics"))
        total = d.get("total_seconds")
        to_best = d.get("time_to_best_epoch_seconds")
        rss = d.get("peak_rss_mb")
        # recbole_run.py's peak_rss_mb adds RUSAGE_CHILDREN (helper processes spawned while
        # importing torch/recbole); "self" is the training process alone
        rss_self = get(d, "peak_rss_detail_mb", "self")
        label = f"RecBole {d.get('recbole_version', '')}".strip()
    else:
        ep = get(d, "timing", "epoch_seconds")
        ev = get(d, "timing", "eval_seconds")
        test = lower_keys(get(d, "metrics", "test"))
        total = get(d, "timing", "total_seconds")
        to_best = get(d, "timing", "time_to_best_seconds")
        rss = d.get("peak_rss_mb")
        rss_self = rss
        label = "trustrec" if k == "trustrec" else "unknown format"
    best = num(d.get("best_epoch"))
    epochs_to_best = int(best) + 1 if best is not None else None
    if to_best is None and epochs_to_best is not None and isinstance(ep, list) and len(ep) >= epochs_to_best:
        # time to the end of the best epoch: its training plus the validations run so far
        # (one validation per epoch assumed when the lists have equal length)
        ep_sum = sum(num(x) or 0.0 for x in ep[:epochs_to_best])
        if isinstance(ev, list) and len(ev) == len(ep):
            ep_sum += sum(num(x) or 0.0 for x in ev[:epochs_to_best])
            to_best = ep_sum
        elif not ev:
            to_best = ep_sum
    n_epochs = len(ep) if isinstance(ep, list) else get(d, "epochs_run")
    return {
        "kind": k,
        "label": label,
        "file": path,
        "model": d.get("model") or get(d, "config", "model"),
        "dataset": d.get("dataset") or get(d, "config", "dataset"),
        "rows": {
            "seconds / training epoch (mean)": num(mean(ep)),
            "seconds / full evaluation pass (mean)": num(mean(ev)),
            "epochs run": num(n_epochs),
            "epochs to best (best_epoch + 1)": num(epochs_to_best),
            "seconds to best epoch (train + valid)": num(to_best),
            "total seconds": num(total),
            "test NDCG@10": num(test.get("ndcg@10")),
            "test Recall@10": num(test.get("recall@10")),
            "test MRR@10": num(test.get("mrr@10")),
            "test Hit@10": num(test.get("hit@10")),
            "peak RSS MB": num(rss),
            "peak RSS MB, own process only": num(rss_self),
        },
        "cap": d.get("epoch_cap_effective", d.get("epoch_cap")),
        "stopped_by": d.get("stopped_by"),
        "note": d.get("machine_note"),
    }


def fmt(x, row):
    if x is None:
        return "n/a"
    if row.startswith("test "):
        return f"{x:.4f}"
    if row.startswith("epochs"):
        return f"{int(x)}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.2f}"


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    a, b = normalise(argv[1]), normalise(argv[2])
    if {a["kind"], b["kind"]} == {"trustrec", "RecBole"}:
        num_, den = (a, b) if a["kind"] == "trustrec" else (b, a)
        ratio_head = "trustrec / RecBole"
    else:
        den, num_ = a, b
        ratio_head = "B / A"

    head_a = f"{a['label']} ({os.path.basename(a['file'])})"
    head_b = f"{b['label']} ({os.path.basename(b['file'])})"
    print(f"Model: {a['model'] or 'n/a'} vs {b['model'] or 'n/a'}; "
          f"dataset: {a['dataset'] or 'n/a'} vs {b['dataset'] or 'n/a'}\n")
    print(f"| metric | {head_a} | {head_b} | {ratio_head} |")
    print("|---|---:|---:|---:|")
    for row in a["rows"]:
        x, y = a["rows"][row], b["rows"][row]
        n, d = num_["rows"][row], den["rows"][row]
        r = f"{n / d:.2f}" if n is not None and d not in (None, 0.0) else "n/a"
        print(f"| {row} | {fmt(x, row)} | {fmt(y, row)} | {r} |")
    for s in (a, b):
        extra = []
        if s["cap"] is not None:
            extra.append(f"epoch cap {s['cap']}")
        if s["stopped_by"]:
            extra.append(f"stopped by {s['stopped_by']}")
        if extra or s["note"]:
            print(f"\n{s['label']}: " + "; ".join(extra) + (f". {s['note']}" if s["note"] else ""))


if __name__ == "__main__":
    main(sys.argv)
