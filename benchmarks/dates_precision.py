"""How often a page's publication date is right (issue 29): twinpages' dates (stages/dates.py) on pages
whose date is known.

Labels: htmldate's own evaluation collection (Apache-2.0, in its repository's tests/): `eval_default.json`,
the BBAW collection (800 pages, multilingual with a focus on German: blogs, news, institutions, shops)
and `eval_mediacloud_2020.json` (200 news pages worldwide, Data Culture Group, Northeastern
University); each page with the day it was published, as annotated by people. htmldate was developed
against these pages, so its figures here are an upper bound for other pages: the only labelled set
found. Nothing in twinpages is fitted to them.

    git clone https://github.com/adbar/htmldate   # at b8952828329abaeeb3be21387b526f2be614ce67
    python benchmarks/dates_precision.py --htmldate htmldate [--json]

Each page is read as `mine` reads an HTML file (stages/readers: bytes decoded as the pipeline decodes
them) with the annotated URL as its address (as a crawl record gives it), and dated by
``publication_date`` (markup first, else the URL; no crawl date, so no upper bound but the fixed far
one). Reported per set: the share of pages given a date, precision (dates that are right, of those
given), recall (right dates over all pages), and by source (markup, URL); beside htmldate's extensive mode
(``extensive_search=True``, ``original_date=True``, as htmldate's comparison runs it; twinpages runs the fast
mode) on the same pages, and both sets together (htmldate's published table is over the same 1,000 pages).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from twinpages.stages.dates import LATEST, publication_date
from twinpages.stages.readers import read

SETS = {"bbaw": "eval_default.json", "mediacloud": "eval_mediacloud_2020.json"}


def page_file(tests: Path, name: str) -> Path:
    for folder in ("test_set", "cache", "eval"):  # where htmldate's evaluation looks, in its order
        if (tests / folder / name).is_file():
            return tests / folder / name
    raise FileNotFoundError(name)


def htmldate_extensive(html: str, url: str) -> str | None:
    from htmldate import find_date

    try:
        return find_date(html, url=url, original_date=True, extensive_search=True, max_date=LATEST)
    except (ValueError, TypeError):
        return None


def evaluate(tests: Path, labels: dict) -> tuple[Counter, Counter]:
    ours: Counter = Counter()
    default: Counter = Counter()
    for url, entry in labels.items():
        (doc,) = [d for d in read([page_file(tests, entry["file"])]) if hasattr(d, "html")]
        found, source = publication_date(doc.html, url, None)
        ours["pages"] += 1
        if found:
            ours["dated"] += 1
            ours[f"dated_{source}"] += 1
            right = found[:10] == entry["date"]
            ours["right"] += right
            ours[f"right_{source}"] += right
        other = htmldate_extensive(doc.html or "", url)
        default["dated"] += bool(other)
        default["right"] += bool(other) and other[:10] == entry["date"]
    return ours, default


def rates(ours: Counter, extensive: Counter) -> dict:
    n = ours["pages"]

    def of(c: Counter) -> dict:
        precision = round(c["right"] / c["dated"], 3) if c["dated"] else None
        return {"dated": round(c["dated"] / n, 3), "precision": precision, "recall": round(c["right"] / n, 3)}

    by_source = {s: {"pages": ours[f"dated_{s}"], "precision": round(ours[f"right_{s}"] / ours[f"dated_{s}"], 3)
                     if ours[f"dated_{s}"] else None} for s in ("html", "url")}
    return {"pages": n, "twinpages": of(ours) | {"by_source": by_source}, "htmldate_extensive": of(extensive)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--htmldate", type=Path, required=True, help="a clone of github.com/adbar/htmldate")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    tests = args.htmldate / "tests"
    counts = {name: evaluate(tests, json.loads((tests / file).read_text(encoding="utf-8")))
              for name, file in SETS.items()}
    result = {name: rates(*c) for name, c in counts.items()}
    both = [sum((c[side] for c in counts.values()), Counter()) for side in (0, 1)]
    result["both"] = rates(*both)
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
