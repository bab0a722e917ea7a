"""Line dumps against the HTML extractor on ScrapingHub's pages (never trained on), per script family of
the page's true text (fastText on articleBody; training/lines/data.py's families).

    python benchmarks/line_dump_families.py ../shared/data/extraction/scrapinghub

The cross-validated figures per family on the training sites come from `training/lines/train.py --html
--json` (its `by_family`). Prints one JSON object: per family, pages and the shingle F1 of the line dump
(model, rules) and of the HTML extractor on the same pages.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training" / "lines"))
import data  # noqa: E402

from twinpages.backends.html import page_text  # noqa: E402
from twinpages.backends.lid import get_identifier  # noqa: E402
from twinpages.data import Document  # noqa: E402
from twinpages.eval.extract_f1 import load_scrapinghub, metrics, page_counts  # noqa: E402
from twinpages.stages.extract import ExtractConfig, Extractor  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, help="the ScrapingHub benchmark folder")
    args = ap.parse_args()
    lid = get_identifier("fasttext")
    systems = {"lines_model": Extractor(ExtractConfig(line_classifier="model")),
               "lines_rules": Extractor(ExtractConfig(line_classifier="rules")), "html": Extractor()}
    counts: dict[str, dict[str, list]] = {}
    for page in load_scrapinghub(args.data):
        family = data.family(lid.detect(page.truth)[0] or "und")
        dump = "\n".join(page_text(page.html))
        for name, ex in systems.items():
            doc = Document(page.id, raw=dump, html=page.html if name == "html" else None)
            scored = page_counts(page.truth, ex.extract(doc).main_text)
            counts.setdefault(family, {}).setdefault(name, []).append(scored)
    out = {f: {"pages": len(c["html"])} | {n: round(metrics(v)["f1"], 4) for n, v in c.items()}
           for f, c in sorted(counts.items(), key=lambda kv: -len(kv[1]["html"]))}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
