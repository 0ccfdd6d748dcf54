#!/bin/bash
# Interleaved timing of HierSRec's candidate pass against full ranking, one thread:
#   bash timing.sh OLD_BINARY NEW_BINARY RUN_DIR [RUN_DIR ...]
# Run from the repository root (the runs name ../shared/... data paths). Prints, per pass:
# repetition, run, binary, candidate ms, full ms, speed-up, candidate HR@10 (must not differ).
set -euo pipefail
old=$1 new=$2
shift 2
out=$(mktemp)
for rep in 1 2 3 4 5; do
  for run in "$@"; do
    for b in "$old" "$new"; do
      "$b" --threads 1 evaluate --run "$run" --on test 2>/dev/null >"$out"
      python3 - "$out" "$rep $(basename "$run") $(basename "$b")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r.get("candidates") or r["metrics"]["candidates"]
print(sys.argv[2], round(c["candidate_seconds"] * 1e3, 1), round(c["full_seconds"] * 1e3, 1),
      round(c["speedup"], 2), c["candidates"]["hit@10"])
PY
    done
  done
done
rm -f "$out"
