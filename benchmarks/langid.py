"""Compare the language-ID backends on documents and on single sentences.

Data (all in ../shared): Text+Berg de/fr sentences, ParIce en/is segments, DDTP en/fr descriptions
(first 1,000 of each language), the seed pair's gold sentences. Accuracy = share labelled with the
gold language; "sentences" are the units the aligner sees, "documents" the units document alignment sees.

Usage: python benchmarks/langid.py [SHARED_DIR]
"""

import gzip
import json
import sys
import time
from pathlib import Path

from twinpages.backends.lid import get_identifier

SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared")


def sets():
    tb = SHARED / "data/sentalign/textberg"
    out = {}
    for lang in ("de", "fr"):
        sents = [s for p in sorted(tb.glob(f"test*.{lang}")) for s in p.read_text("utf-8").splitlines() if s.strip()]
        out[f"textberg-{lang} sentences"] = (lang, sents)
    for sub, lang in (("eng", "en"), ("isl", "is")):
        segs = [line.split("\t", 1)[1] for p in sorted((SHARED / "data/sentalign/parice" / sub).glob("*.txt"))
                for line in p.read_text("utf-8").splitlines() if "\t" in line and line.split("\t", 1)[1].strip()]
        out[f"parice-{lang} segments"] = (lang, segs)
    docs = {"en": [], "fr": []}
    with gzip.open(SHARED / "data/docalign/ddtp-en-fr/docs.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if len(docs[d["lang"]]) < 1000:
                docs[d["lang"]].append(d["text"])
            if all(len(v) >= 1000 for v in docs.values()):
                break
    for lang, texts in docs.items():
        out[f"ddtp-{lang} documents"] = (lang, texts)
    gold = json.loads((SHARED / "seeds/gold.json").read_text("utf-8"))
    for lang in ("en", "de"):
        out[f"seed-{lang} sentences"] = (lang, [p[lang] for p in gold["sentence_pairs"]])
    return out


if __name__ == "__main__":
    print("| data | n | " + " | ".join(f"{b} acc | {b} items/s" for b in ("cld2", "fasttext")) + " |")
    print("|---|---|" + "---|---|" * 2)
    for name, (lang, texts) in sets().items():
        row = [name, str(len(texts))]
        for backend in ("cld2", "fasttext"):
            lid = get_identifier(backend)
            lid.detect("warm up")
            t0 = time.perf_counter()
            pred = [lid.detect(t)[0] for t in texts]
            dt = time.perf_counter() - t0
            acc = sum(p == lang for p in pred) / len(texts)
            row += [f"{acc:.3f}", f"{len(texts) / dt:,.0f}"]
        print("| " + " | ".join(row) + " |")
