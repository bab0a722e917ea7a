"""What finding publication dates costs (issue 29), as a share of analysing a page, on real HTML pages.

    python benchmarks/dates_cost.py ../shared/data/extraction/scrapinghub/html [--pages 300] [--json]

One process, the same pages: each page read and extracted once (trafilatura, as `mine` does), then
htmldate's date search (stages/dates.publication_date) timed on each, beside the extraction's own time;
the share is the dates' seconds over the extraction's. Also counts how many pages got a date, from markup
or from the URL.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from twinpages.stages.dates import publication_date
from twinpages.stages.extract import ExtractConfig, Extractor
from twinpages.stages.readers import read


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    files = sorted(args.folder.glob("*.html*"))[: args.pages]
    extractor = Extractor(ExtractConfig())
    extract_s = dates_s = 0.0
    found: Counter = Counter()
    for doc in read(files):
        if not hasattr(doc, "html") or doc.html is None:
            continue
        html = doc.html
        t0 = time.perf_counter()
        extractor.extract(doc)
        t1 = time.perf_counter()
        _, source = publication_date(html, doc.url, doc.crawled)
        t2 = time.perf_counter()
        extract_s += t1 - t0
        dates_s += t2 - t1
        found[source or "none"] += 1
    result = {"pages": sum(found.values()), "extract_seconds": round(extract_s, 2), "dates_seconds": round(dates_s, 2),
              "dates_share_of_extraction": round(dates_s / extract_s, 4), "dated_from": dict(found)}
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
