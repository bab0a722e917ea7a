"""The bitext filter on a real multilingual site: what each rule removes, counted and sampled, and what the
filter costs against the whole run (issue 30).

    python benchmarks/bitext_filter.py --cache /tmp/debian-docs --manuals faq [--langs ...] [--sample 3] [--json]

Builds the Debian manuals corpus as benchmarks/debian_docs.py does (same cache), then in one script:
1. `twinpages mine --one-to-one --no-filter` from scratch: the run's wall seconds and its write phase;
2. `twinpages mine` again into the same folder with the filter on (the default): only the write phase runs
   again (output settings are not part of the signature), so its seconds less the first run's write phase
   is what the filter adds; reported as a share of the first run's seconds;
3. the rejected rows (bitext/rejected/*.jsonl) counted by reason and language pair, with a seeded sample
   of each reason, and the kept rows' translation probabilities in ten bins.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import debian_docs  # noqa: E402


def mine(corpus: Path, out: Path, workers: int, *extra: str) -> dict:
    cmd = [sys.executable, "-m", "twinpages", "mine", str(corpus), "-o", str(out), "--one-to-one", "--json", "-q",
           "--workers", str(workers), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"mine failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--manuals", nargs="+", default=["faq"], choices=["faq", "aptitude"])
    ap.add_argument("--langs", nargs="*")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sample", type=int, default=3, help="rejected rows shown per reason")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    corpus, _, _ = debian_docs.build(args.cache, args.manuals, set(args.langs) if args.langs else None)
    out = args.cache / f"filter-run-{corpus.name}"
    plain = mine(corpus, out, args.workers, "--no-filter", "--clean")
    filtered = mine(corpus, out, args.workers)
    added = filtered["stage_seconds"]["write"] - plain["stage_seconds"]["write"]
    by_reason: Counter = Counter()
    by_lp: dict[str, Counter] = defaultdict(Counter)
    rows: dict[str, list] = defaultdict(list)
    for path in sorted((out / "bitext" / "rejected").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            by_reason[r["filter_reason"]] += 1
            by_lp[path.stem][r["filter_reason"]] += 1
            rows[r["filter_reason"]].append(r)
    rng = random.Random(0)
    samples = {reason: [{k: r[k] for k in ("src_lang", "tgt_lang", "src", "tgt", "score",
                                           "translation_probability")} for r in rng.sample(rs, min(args.sample,
                                                                                                     len(rs)))]
               for reason, rs in sorted(rows.items())}
    kept_p = []
    for path in sorted((out / "bitext").glob("*.jsonl")):
        kept_p += [json.loads(x)["translation_probability"] for x in path.read_text(encoding="utf-8").splitlines()]
    bins = Counter(min(int(p * 10), 9) for p in kept_p)
    result = {
        "corpus": corpus.name, "documents": plain["documents_kept"], "document_pairs": plain["document_pairs"],
        "rows_without_filter": plain["bitext_filter"]["kept"], "rows_kept": filtered["bitext_filter"]["kept"],
        "rows_rejected": filtered["bitext_filter"]["rejected"], "rejected_by_reason": dict(by_reason.most_common()),
        "rejected_by_language_pair": {lp: dict(c.most_common()) for lp, c in sorted(by_lp.items())},
        "run_seconds": plain["seconds"], "write_seconds_without_filter": plain["stage_seconds"]["write"],
        "write_seconds_with_filter": filtered["stage_seconds"]["write"], "filter_seconds": round(added, 2),
        "filter_share_of_run": round(added / plain["seconds"], 4),
        "kept_probability_bins": {f"{k / 10:.1f}-{(k + 1) / 10:.1f}": bins[k] for k in range(10)},
        "samples": samples,
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
