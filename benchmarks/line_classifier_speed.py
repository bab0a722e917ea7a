"""Line-dump extraction speed on one core: the rules against the learned line classifier.

    python benchmarks/line_classifier_speed.py ../shared/data/extraction/scrapinghub [--rounds 3]

The 181 ScrapingHub pages flattened to line dumps as `twinpages eval extract --mode lines` does, then
extracted in this one process with each classifier, alternately, ``rounds`` times after a warm-up; the
best round of each is kept. Prints one JSON object: pages/s and lines/s per core for both, and the ratio.
"""

import argparse
import json
import time
from pathlib import Path

from twinpages.backends.html import page_text
from twinpages.data import Document
from twinpages.eval.extract_f1 import load_scrapinghub
from twinpages.stages.extract import ExtractConfig, Extractor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    dumps = ["\n".join(page_text(p.html)) for p in load_scrapinghub(args.data)]
    lines = sum(len(d.splitlines()) for d in dumps)
    extractors = {name: Extractor(ExtractConfig(line_classifier=name)) for name in ("rules", "model")}
    best = {name: float("inf") for name in extractors}
    for round_ in range(args.rounds + 1):
        for name, ex in extractors.items():
            t0 = time.perf_counter()
            for i, d in enumerate(dumps):
                ex.extract(Document(str(i), raw=d, lang=None))
            if round_:  # round 0 warms up (language ID model, the trees)
                best[name] = min(best[name], time.perf_counter() - t0)
    out = {"pages": len(dumps), "lines": lines}
    for name, s in best.items():
        out |= {f"{name}_pages_per_s": round(len(dumps) / s, 1), f"{name}_lines_per_s": round(lines / s)}
    out["model_time_ratio"] = round(best["model"] / best["rules"], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
