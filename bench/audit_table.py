#!/usr/bin/env python3
"""Markdown table of every audit in bench/results/audit/*/results.json (for docs/stability.md)."""
import glob
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "results", "audit")
print("| data | model | epochs | FINEST | method | Jaccard@10 | AO | RBO (p 0.9) | MRR orig → pert | Recall@10 orig → pert | s / training |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for path in sorted(glob.glob(os.path.join(root, "*", "results.json"))):
    r = json.load(open(path))
    data = os.path.basename(r["data"]["path"]).split(".")[0]
    model = r["config"]["model"]["name"]
    mode = r["config"]["train"].get("mode", "sequence")
    if mode != "sequence":
        model += f" ({mode} samples)"
    loss = r["config"]["train"].get("loss", "ce")
    if loss != "ce":
        model += f", {loss} loss"
    epochs = r["config"]["train"]["epochs"]
    seeds = len(r["seeds"])
    stab = r["config"].get("stabilize") or {}
    # lambda 0: the same fine-tuning without the regularizer (a control for the extra epochs).
    finest = "λ 0 (control)" if stab.get("lambda") == 0 else "yes"
    for s in r["summary"]:
        ms = lambda m, k: f"{m[k]['mean']:.4f} ± {m[k]['std']:.4f}" if seeds > 1 else f"{m[k]['mean']:.4f}"
        acc = lambda k: f"{s['original'][k]['mean']:.4f} → {s['perturbed'][k]['mean']:.4f}"
        print(
            f"| {data} | {model} | {epochs} | {finest if s.get('stabilized') else 'no'} | "
            f"{s['method']} {s['kind']} {s['budget']} ({seeds} seeds) | {ms(s['rls'], 'jaccard@10')} | "
            f"{ms(s['rls'], 'ao')} | {ms(s['rls'], 'rbo')} | {acc('mrr')} | {acc('recall@10')} | "
            f"{r['timing']['seconds_per_training']:.0f} |"
        )
