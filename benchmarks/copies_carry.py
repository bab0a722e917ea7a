"""Would deciding a near-copy cluster once and carrying its pairs to the members save work, and would it be
right (issue 29)? Measured on a finished run and the read stage of the same corpus with its copy clusters.

    twinpages mine DOCS -o FULL ...                       # a finished run: its candidate pairs
    twinpages mine DOCS -o READ --until read ...          # its copy clusters (the same documents)
    python benchmarks/copies_carry.py FULL READ --gold GOLD.tsv [--json]

Reports: the candidate pairs with a side that is a cluster member but not its representative (what a carry
would not decide), and, over the members with a gold twin, how often the representative's twin is the
member's own twin (a carry that gives every member its representative's twin is right only then).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def document_ids(run: Path) -> list[str]:
    """Run-wide document number -> id, from the documents shards in run order."""
    from twinpages.store import Layout
    from twinpages.store.shards import read_table

    layout = Layout(run)
    names = sorted(p.name.removesuffix(".parquet") for p in layout.shards.joinpath("documents").glob("*.parquet"))
    return [i for n in names for i in read_table(layout.documents(n), ["id"]).column("id").to_pylist()]


def main() -> None:
    import pyarrow.parquet as pq

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("full", type=Path, help="a finished run folder (its candidates)")
    ap.add_argument("read", type=Path, help="a run folder of the same corpus, at least through the read stage")
    ap.add_argument("--gold", type=Path, required=True, help="gold pairs, TSV: id, id")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    full_ids, read_ids = document_ids(args.full), document_ids(args.read)
    clusters = [json.loads(x) for x in next(iter(sorted(args.read.glob("shards/copies-*.jsonl")))).read_text(
        encoding="utf-8").splitlines()]
    representative = {}
    for c in clusters:
        for number, _ in c["members"]:
            representative[read_ids[number]] = read_ids[c["representative"]]
    found = next(iter(sorted(args.full.glob("shards/candidates-*.parquet"))))
    candidates = pq.read_table(found, columns=["src", "tgt"])
    pairs = list(zip(candidates.column("src").to_pylist(), candidates.column("tgt").to_pylist(), strict=True))

    def carried(doc: str) -> bool:
        return doc in representative and representative[doc] != doc

    not_decided = sum(carried(full_ids[s]) or carried(full_ids[t]) for s, t in pairs)
    twin = {}
    for line in args.gold.read_text(encoding="utf-8").splitlines():
        if line.strip():
            a, b = line.split("\t")[:2]
            twin[a], twin[b] = b, a
    right = wrong = 0
    for doc, rep in representative.items():
        if doc != rep and doc in twin and rep in twin:
            right += twin[rep] == twin[doc]
            wrong += twin[rep] != twin[doc]
    out = {"clusters": len(clusters), "documents_in_clusters": len(representative), "candidates": len(pairs),
           "candidates_with_a_carried_side": not_decided, "share": round(not_decided / len(pairs), 4),
           "members_with_gold_twins": right + wrong, "representative_twin_is_members": right,
           "representative_twin_is_not": wrong}
    print(json.dumps(out) if args.json else json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
