"""How much of a clean text the line-dump extraction keeps: DDTP's package descriptions (every line is
text, no boilerplate), every 10th of the first 60,000 records, extracted as a JSONL record is by default.

    python benchmarks/clean_text_lines.py ../shared

Prints one JSON object: lines, lines kept, their share and the descriptions that lose a line.
"""

import argparse
import gzip
import itertools
import json
from pathlib import Path

from twinpages.data import Document
from twinpages.stages.extract import Extractor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("shared", type=Path, help="the shared data folder (../shared)")
    args = ap.parse_args()
    extractor = Extractor()
    lines = kept = losing = 0
    path = args.shared / "data" / "docalign" / "ddtp-en-fr" / "docs.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for record in itertools.islice(f, 0, 60_000, 10):
            r = json.loads(record)
            doc = extractor.extract(Document(r["id"], raw=r["text"], lang=r["lang"]))
            n_kept = sum(line.is_main for line in doc.lines)
            lines, kept, losing = lines + len(doc.lines), kept + n_kept, losing + (n_kept < len(doc.lines))
    print(json.dumps({"lines": lines, "kept": kept, "share": round(kept / lines, 4),
                      "descriptions_losing_a_line": losing}))


if __name__ == "__main__":
    main()
