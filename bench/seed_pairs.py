#!/usr/bin/env python3
"""Seed-by-seed comparison of trustrec and RecBole runs of one protocol.

    python3 bench/seed_pairs.py --recbole RECBOLE.json ... --trustrec RESULTS.json ...

RECBOLE.json: files written by bench/recbole_run.py (seed in config.seed, test metrics in
test_metrics); RESULTS.json: trustrec results.json files (seed, metrics.test). Runs are paired
by seed; seeds run by only one tool are listed but left out of the paired statistics.

Why: with ~1,000 test users one run's NDCG@10 has a standard error of ~0.006, as large as the
differences in question, so a single seed settles nothing. Prints a Markdown table, the mean
and standard deviation per tool, and the paired mean difference with its standard error
(std of the per-seed differences / sqrt(pairs)).
"""
import argparse
import json
import math
import statistics
import sys

METRICS = ["ndcg@10", "recall@10", "mrr@10"]


def load_recbole(path):
    r = json.load(open(path))
    t = r.get("test_metrics")
    if not t:
        return None
    # A run cut short (deadline, SIGTERM) is flagged; early stopping is the normal end.
    stop = r.get("stopped_by")
    note = f"{stop} after {r.get('epochs_run')} epochs" if stop in ("deadline", "sigterm") else ""
    return r["config"]["seed"], {m: t[m] for m in METRICS}, r.get("best_epoch"), note


def load_trustrec(path):
    r = json.load(open(path))
    t = r["metrics"]["test"]
    return r["seed"], {m: t[m] for m in METRICS}, r.get("best_epoch"), ""


def collect(paths, loader, tool):
    runs = {}
    for p in paths:
        got = loader(p)
        if got is None:
            print(f"{p}: no test metrics (run unfinished), skipped", file=sys.stderr)
            continue
        seed = got[0]
        if seed in runs:
            sys.exit(f"{p}: {tool} seed {seed} given twice")
        runs[seed] = got[1:]
    return runs


def mean_std(xs):
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else float("nan"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recbole", nargs="+", required=True)
    ap.add_argument("--trustrec", nargs="+", required=True)
    a = ap.parse_args()
    rb = collect(a.recbole, load_recbole, "RecBole")
    tr = collect(a.trustrec, load_trustrec, "trustrec")
    seeds = sorted(set(rb) | set(tr))
    paired = [s for s in seeds if s in rb and s in tr]
    print("| seed | trustrec NDCG@10 / Recall@10 / MRR@10 (best epoch) | RecBole NDCG@10 / Recall@10 / MRR@10 (best epoch) | NDCG@10 difference |")
    print("|---|---|---|---:|")
    for s in seeds:
        cells = []
        for runs in (tr, rb):
            if s in runs:
                m, best, note = runs[s]
                extra = f"; {note}" if note else ""
                cells.append(" / ".join(f"{m[k]:.4f}" for k in METRICS) + f" ({best}{extra})")
            else:
                cells.append("not run")
        diff = tr[s][0]["ndcg@10"] - rb[s][0]["ndcg@10"] if s in paired else None
        print(f"| {s} | {cells[0]} | {cells[1]} | {'' if diff is None else f'{diff:+.4f}'} |")
    if not paired:
        sys.exit("no seed was run by both tools")
    print(f"\nPaired seeds: {len(paired)} ({', '.join(map(str, paired))})")
    for k in METRICS:
        t = [tr[s][0][k] for s in paired]
        r = [rb[s][0][k] for s in paired]
        d = [x - y for x, y in zip(t, r)]
        (mt, st), (mr, sr), (md, sd) = mean_std(t), mean_std(r), mean_std(d)
        se = sd / math.sqrt(len(d))
        print(f"- {k}: trustrec {mt:.4f} ± {st:.4f}, RecBole {mr:.4f} ± {sr:.4f}; "
              f"paired difference {md:+.4f} ± {se:.4f} (SE), ratio {mt / mr:.3f}")


if __name__ == "__main__":
    main()
