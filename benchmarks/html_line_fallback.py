"""Would the learned line classifier help HTML extraction where trafilatura's precision mode keeps too
little? (issue 17: measure it, keep it only if it helps.)

    python benchmarks/html_line_fallback.py ../shared/data/extraction/scrapinghub

On the ScrapingHub pages where the default HTML path falls back (precision mode kept under half of
resiliparse's main text), three answers are scored with the benchmark's shingle metric: trafilatura's
default mode (today's fallback), the line classifier over the page's text blocks (resiliparse, every
block a line, the page language guessed as for line dumps), and precision mode as it was. Prints one JSON
object: the number of such pages and the F1 over all 181 pages with each answer in place.
"""

import argparse
import json
from pathlib import Path

import trafilatura

from twinpages.backends.html import _resiliparse_main, page_text
from twinpages.data import Document
from twinpages.eval.extract_f1 import load_scrapinghub, score
from twinpages.stages.extract import Extractor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path)
    args = ap.parse_args()
    pages = load_scrapinghub(args.data)
    lines = Extractor()
    answers: dict[str, list[str]] = {"default_fallback": [], "line_classifier": [], "precision_only": []}
    fallback = 0
    for p in pages:
        precise = trafilatura.extract(p.html, include_comments=False, favor_precision=True) or ""
        if len(precise) < 0.5 * len(_resiliparse_main(p.html)):
            fallback += 1
            default = trafilatura.extract(p.html, include_comments=False) or precise
            doc = lines.extract(Document(p.id, raw="\n".join(page_text(p.html))))
            answers["default_fallback"].append(default)
            answers["line_classifier"].append(doc.main_text)
        else:
            answers["default_fallback"].append(precise)
            answers["line_classifier"].append(precise)
        answers["precision_only"].append(precise)
    truths = [p.truth for p in pages]
    out = {"pages": len(pages), "fallback_pages": fallback}
    out |= {name: round(score(truths, preds, 0)["f1"], 4) for name, preds in answers.items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
