#!/usr/bin/env python3
"""How much an item-ID-free model can tell rare amazon-beauty test targets apart.

    python3 bench/tie_groups.py [../shared/datasets/amazon-beauty]

Why: M2TRec and HierSRec see an item only through its attribute set, so items with the same set
get the same vector and tie exactly. This prints, for the leave-one-out test targets seen fewer
than 5 times in training (the `test_rare` slice, cold included), the size of the target's tie
group (items of the whole catalogue with the same attribute set), and the HR@10 ceiling under a
random tie break: the model ranks the target's set first and the target lands at a random place
among its group (P(hit@10) = min(1, 10 / group size)). Split as trustrec's leave-one-out: the
last item is the test target, training is everything before the last two.
"""
import collections
import json
import statistics
import sys
from pathlib import Path

RARE_BELOW = 5


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets/amazon-beauty")
    attrs = json.loads((root / "Beauty_item2attributes.json").read_text())
    seqs = [line.split()[1:] for line in (root / "Beauty.txt").read_text().splitlines()]
    catalogue = {i for s in seqs for i in s}

    def key(item: str) -> tuple:
        return tuple(sorted(attrs.get(item, [])))

    group = collections.Counter(key(i) for i in catalogue)
    members = collections.defaultdict(list)
    for i in catalogue:
        members[key(i)].append(i)
    counts = collections.Counter(i for s in seqs for i in s[:-2])
    rare = [s[-1] for s in seqs if counts[s[-1]] < RARE_BELOW]
    sizes = [group[key(t)] for t in rare]
    rare_mates = [
        sum(counts[j] < RARE_BELOW for j in members[key(t)]) / len(members[key(t)]) for t in rare
    ]
    print(f"items {len(catalogue)}, distinct attribute sets {len(group)}")
    print(f"rare test targets {len(rare)}")
    print(f"tie group of a rare target: median {statistics.median(sizes):.0f}, "
          f"mean {statistics.mean(sizes):.1f}, largest {max(sizes)}")
    print(f"rare targets sharing their attribute set: {sum(g > 1 for g in sizes) / len(sizes):.3f}")
    print(f"mean share of rare items in the target's group: {statistics.mean(rare_mates):.3f}")
    ceiling = statistics.mean(min(1.0, 10 / g) for g in sizes)
    print(f"HR@10 ceiling under a random tie break (set ranked first): {ceiling:.4f}")


if __name__ == "__main__":
    main()
