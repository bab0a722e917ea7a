"""WMT news twins: the cost of deciding long news pairs against the cost of embedding them (issue 32).

A corpus of whole news articles and their human translations: the WMT21 general-task test sets of the
language pairs USE-m3 covers (default: all ten directions; every test set since WMT19 is
source-original), each source document and its reference A as documents of one pile (the English
sources shared by en-de, en-ru, en-zh and en-ja once, with a twin in each language, where the sets cut
them alike: training/provenance/wmt.py cuts documents at XML ids where the snapshot has them, else
where a headline begins). Gold: each source document with its
reference. `twinpages mine --one-to-one --extract none` runs over the pile; the script prints P/R of
the document pairs and the run's CPU seconds per phase, with decide (`aligned`) over the embed stage.

    git clone https://github.com/wmt-conference/wmt21-news-systems   # at f41750dadbf2ba6ab01ca5380347d253298a3427
    python benchmarks/wmt_twins.py --wmt21 wmt21-news-systems --work /tmp/wmt-twins [--workers 2] [--json]

WMT21 is data the provenance model was trained on (training/provenance/README.md); nothing here is fitted
to it: it measures time. WMT22 and WMT24 are kept aside (issue 31) and never read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training" / "provenance"))
from mine_run import mine_pairs  # noqa: E402 (benchmarks/: a script's own folder is on sys.path)
from wmt import load  # noqa: E402

EMBED_PHASES = ("hashed", "owned", "embedded", "assembled")


def corpus(wmt21: Path, out: Path, directions: tuple[str, ...]) -> set[frozenset[str]]:
    """OUT/docs.jsonl (id, lang, text: a document's segments as paragraphs); returns the gold pairs."""
    gold, lines, ids = set(), [], {}

    def document(doc_id: str, lang: str, text: str) -> str:
        # the English sources of en-de, en-ru, en-zh and en-ja are one set of documents: one document, with
        # a twin in each language (a page and its translations, as on a multilingual site)
        if text not in ids:
            ids[text] = doc_id
            lines.append({"id": doc_id, "lang": lang, "text": text})
        return ids[text]

    for ts in load(wmt21, None):
        if f"{ts.src_lang}-{ts.tgt_lang}" not in directions:
            continue
        ref = next(t for t in ts.translations if t.name == "ref:A")
        for doc_id, rows in ts.docs:
            a = document(f"{doc_id}/{ts.src_lang}", ts.src_lang, "\n".join(ts.source[i] for i in rows))
            b = document(f"{doc_id}/ref-A.{ts.tgt_lang}", ts.tgt_lang, "\n".join(ref.lines[i] for i in rows))
            gold.add(frozenset((a, b)))
    out.mkdir(parents=True, exist_ok=True)
    with (out / "docs.jsonl").open("w", encoding="utf-8") as f:
        for d in lines:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    return gold


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wmt21", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True, help="a scratch folder: the corpus and the run")
    ap.add_argument("--directions", nargs="*", default=["en-de", "de-en", "en-ru", "ru-en", "en-zh", "zh-en", "en-ja",
                                                        "ja-en", "de-fr", "fr-de"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    gold = corpus(args.wmt21, args.work, tuple(args.directions))
    run = args.work / "run"
    stats, found, seconds, cmd = mine_pairs(args.work / "docs.jsonl", run, "--extract", "none", "--one-to-one",
                                            workers=args.workers)
    tp = len(found & gold)
    cpu = stats.get("cpu_seconds", {})
    embed = sum(cpu.get(p, 0) for p in EMBED_PHASES)
    result = {"documents": stats["documents_read"], "gold_pairs": len(gold), "candidates": stats["candidates"],
              "pairs": len(found), "precision": round(tp / len(found), 4) if found else 0.0,
              "recall": round(tp / len(gold), 4) if gold else 0.0, "wall_seconds": round(seconds, 1),
              "cpu_seconds": cpu, "embed_stage_cpu": round(embed, 1),
              "aligned_over_embedded": round(cpu.get("aligned", 0) / cpu["embedded"], 2) if cpu.get("embedded")
              else None,
              "aligned_over_embed_stage": round(cpu.get("aligned", 0) / embed, 2) if embed else None,
              "sentences_embedded": stats.get("sentences_embedded"), "command": " ".join(cmd[1:])}
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
