"""The bitext filter on a real multilingual site: what each rule removes, counted and sampled, and what the
filter costs against the whole run (issue 30).

    python benchmarks/bitext_filter.py --cache /tmp/debian-docs --manuals faq [--langs ...] [--sample 3] [--json]
    python benchmarks/bitext_filter.py --run-folder OUT --run-seconds S --run-cpu-seconds C   # a finished run

Builds the Debian manuals corpus as benchmarks/debian_docs.py does (same cache), then in one script:
1. `twinpages mine --one-to-one` from scratch (the filter on, as by default): the run's wall seconds;
2. what the filter costs the run, in this process, over the run's selected pairs, in its two places:
   - the decide workers' share: the beads of every pair the decide phase accepted (shards/decided/, before
     --one-to-one drops some) judged again from bare copies (probability and segment language ID:
     BeadFilter.annotate; one cache for all, where each worker has its own), CPU seconds;
   - the writer's share: the bitext rows made as the write phase makes them (a counting pass, then kept and
     rejected rows in one pass, deduplicated), once without the filter and once with it (rules and threshold
     over the judged beads); the difference.
   Reported as a share of the run's CPU seconds (both parts) and of its wall seconds (the writer's part plus
   the workers' part divided by the workers, as the decide phase runs them in parallel);
3. the rejected rows (bitext/rejected/*.jsonl) counted by reason and language pair, with a seeded sample
   of each reason, and the kept rows' translation probabilities in ten bins.
With ``--run-folder``: step 2 only, over a finished run's selected pairs (e.g. the full DDTP run of
benchmarks/runners_ddtp.py); ``--run-seconds``, ``--run-cpu-seconds``: that run's, for the shares.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import debian_docs  # noqa: E402

from twinpages.phases.select import SelectedPairs  # noqa: E402
from twinpages.schemas import pair_from_dict  # noqa: E402
from twinpages.stages.beadfilter import BeadFilter  # noqa: E402
from twinpages.stages.writers.bitext import BitextRows  # noqa: E402


def mine(corpus: Path, out: Path, workers: int, *extra: str) -> dict:
    cmd = [sys.executable, "-m", "twinpages", "mine", str(corpus), "-o", str(out), "--one-to-one", "--json", "-q",
           "--workers", str(workers), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"mine failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def decided_pairs(run_folder: Path) -> list:
    return [pair_from_dict(json.loads(line)) for path in sorted((run_folder / "shards" / "decided").glob("*.jsonl"))
            if not path.name.endswith(".errors.jsonl") for line in path.read_text(encoding="utf-8").splitlines()]


def filter_seconds(run_folder: Path) -> tuple[dict, int]:
    """Seconds the workers spend judging the decided pairs' beads, and seconds to make the rows of the
    selected pairs without the filter and with it (in that order: the filter's caches start cold)."""
    bead_filter = BeadFilter()
    decided = decided_pairs(run_folder)
    t0 = time.process_time()
    for pair in decided:
        bead_filter.annotate(replace(pair, beads=[replace(b, translation_probability=None) for b in pair.beads]))
    seconds = {"workers": time.process_time() - t0}
    pairs = list(SelectedPairs(next((run_folder / "shards").glob("pairs-*.jsonl"))))
    for name, bead_filter in (("without", None), ("with", BeadFilter())):
        t0 = time.perf_counter()
        rows = BitextRows(pairs, bead_filter=bead_filter)
        n = sum(1 for _ in rows.all_rows())  # both files' rows, in one pass, as write_bitext does
        seconds[name] = time.perf_counter() - t0
    return seconds, n


def cost(seconds: dict, run_seconds: float, run_cpu_seconds: float | None, workers: int) -> dict:
    writer = seconds["with"] - seconds["without"]
    out = {"worker_cpu_seconds": round(seconds["workers"], 2), "rows_seconds_without_filter":
           round(seconds["without"], 2), "rows_seconds_with_filter": round(seconds["with"], 2),
           "writer_seconds": round(writer, 2),
           "filter_share_of_run": round((writer + seconds["workers"] / workers) / run_seconds, 4)}
    if run_cpu_seconds:
        out["filter_share_of_cpu"] = round((writer + seconds["workers"]) / run_cpu_seconds, 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, help="download and corpus folder (as debian_docs.py's)")
    ap.add_argument("--manuals", nargs="+", default=["faq"], choices=["faq", "aptitude"])
    ap.add_argument("--langs", nargs="*")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sample", type=int, default=3, help="rejected rows shown per reason")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--run-folder", type=Path, help="time the filter over this finished run's pairs only")
    ap.add_argument("--run-seconds", type=float, help="with --run-folder: the run's wall seconds")
    ap.add_argument("--run-cpu-seconds", type=float, help="with --run-folder: the run's CPU seconds")
    args = ap.parse_args()
    if args.run_folder:
        if not args.run_seconds:
            ap.error("--run-folder needs --run-seconds")
        seconds, n = filter_seconds(args.run_folder)
        print(json.dumps({"rows": n} | cost(seconds, args.run_seconds, args.run_cpu_seconds, args.workers)))
        return
    if not args.cache:
        ap.error("--cache is needed (or --run-folder)")
    corpus, _, _ = debian_docs.build(args.cache, args.manuals, set(args.langs) if args.langs else None)
    out = args.cache / f"filter-run-{corpus.name}"
    run = mine(corpus, out, args.workers, "--clean")
    seconds, n = filter_seconds(out)
    run_cpu = sum(run["cpu_seconds"].values())
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
        "corpus": corpus.name, "documents": run["documents_kept"], "document_pairs": run["document_pairs"],
        "rows": n, "rows_kept": run["bitext_filter"]["kept"],
        "rows_rejected": run["bitext_filter"]["rejected"], "rejected_by_reason": dict(by_reason.most_common()),
        "rejected_by_language_pair": {lp: dict(c.most_common()) for lp, c in sorted(by_lp.items())},
        "run_seconds": run["seconds"], "run_cpu_seconds": round(run_cpu, 1),
        **cost(seconds, run["seconds"], run_cpu, args.workers),
        "kept_probability_bins": {f"{k / 10:.1f}-{(k + 1) / 10:.1f}": bins[k] for k in range(10)},
        "samples": samples,
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
