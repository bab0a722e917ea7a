"""Compare sentence splitters on natural text with known sentence boundaries.

Data: Text+Berg de/fr (detokenised; one gold sentence per line) and the seed pair's gold sentences.
Only boundaries after a line that ends in terminal punctuation are counted, because headings without
punctuation are merged with the next sentence by every splitter and say nothing about the splitter.

Usage: python benchmarks/splitters.py [SHARED_DIR]
"""

import re
import sys
import time
from pathlib import Path

SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared")
TERMINAL = re.compile(r"[.!?:;…]['\"»«“”’)]*$")


def detok(line: str) -> str:
    s = " ".join(line.split())
    s = re.sub(r" ([,.;:!?%)\]»])", r"\1", s)
    s = re.sub(r"([(\[«]) ", r"\1", s)
    s = re.sub(r" ' ", "'", s)
    return s


def textberg(lang):
    docs = []
    for p in sorted((SHARED / "data/sentalign/textberg").glob(f"*.{lang}")):
        docs.append([detok(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()])
    return docs


def seeds():
    import json

    gold = json.loads((SHARED / "seeds/gold.json").read_text(encoding="utf-8"))
    return {"en": [[p["en"] for p in gold["sentence_pairs"]]], "de": [[p["de"] for p in gold["sentence_pairs"]]]}


def make_paragraphs(doc, size=6):
    """Join gold sentences into paragraphs; yield (text, set of gold boundary offsets)."""
    for i in range(0, len(doc), size):
        sents = doc[i:i + size]
        text, bounds = "", set()
        for k, s in enumerate(sents):
            if k:
                text += " "
            text += s
            if k < len(sents) - 1 and TERMINAL.search(s):
                bounds.add(len(text))
        yield text, bounds, {len(text) for s in [None]}


def predicted_bounds(text, sents):
    out, pos = set(), 0
    for s in sents[:-1]:
        s = s.strip()
        j = text.find(s, pos)
        if j < 0:
            continue
        pos = j + len(s)
        out.add(pos)
    return out


def splitters(lang):
    import blingfire
    import pysbd
    import sentence_splitter

    seg = pysbd.Segmenter(language=lang if lang in ("de", "fr", "en") else "en", clean=False)
    moses = sentence_splitter.SentenceSplitter(language=lang)
    out = {
        "pysbd": seg.segment,
        "sentence-splitter (Moses)": moses.split,
        "blingfire": lambda t: blingfire.text_to_sentences(t).split("\n"),
    }
    if lang in ("de", "en"):
        import syntok.segmenter as sy

        def syntok_split(t):
            res = []
            for para in sy.process(t):
                for sent in para:
                    res.append("".join(tok.spacing + tok.value for tok in sent).strip())
            return res

        out["syntok"] = syntok_split
    from twinpages.stages.segment import split_sentences  # our own wrapper, the one shipped

    out["twinpages"] = lambda t: split_sentences(t, lang)
    return out


def evaluate(lang, docs):
    rows = {}
    for name, fn in splitters(lang).items():
        tp = fp = fn_ = 0
        t0 = time.perf_counter()
        for doc in docs:
            for text, gold, _ in make_paragraphs(doc):
                pred = predicted_bounds(text, [s for s in fn(text) if s.strip()])
                # a predicted boundary in the middle of a gold sentence is an error; whitespace offsets tolerated
                pred = {p for p in pred}
                tp += len(pred & gold)
                fp += len(pred - gold)
                fn_ += len(gold - pred)
        dt = time.perf_counter() - t0
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn_) if tp + fn_ else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows[name] = (p, r, f, dt)
    return rows


if __name__ == "__main__":
    sets = {"textberg-de": ("de", textberg("de")), "textberg-fr": ("fr", textberg("fr"))}
    sd = seeds()
    sets["seed-gold-en"] = ("en", sd["en"])
    sets["seed-gold-de"] = ("de", sd["de"])
    print("| data | splitter | boundary P | R | F1 | seconds |")
    print("|---|---|---|---|---|---|")
    for data, (lang, docs) in sets.items():
        for name, (p, r, f, dt) in evaluate(lang, docs).items():
            print(f"| {data} | {name} | {p:.3f} | {r:.3f} | {f:.3f} | {dt:.2f} |")
