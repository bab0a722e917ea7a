"""Train the provenance models (stages/provenance.py) on the pairs build.py wrote, and report dev figures.

    python training/provenance/train.py --pairs pairs/ --out src/twinpages/resources/provenance.json --json

One model per language pair (languages in alphabetical order), each three logistic regressions over the
same standardised features: direction (P that the first language's side is the original), translator (P
that the translation is a machine's) and bead (P that a bead is a machine's, given the document's
translator logit). Regularisation is chosen by cross-validation grouped by document block on the train
fold; the thresholds below which a verdict is `unknown` are chosen on out-of-fold train predictions (the
lowest probability at which the verdicts made are right at the target rate), so the dev fold is touched by
nothing but the final report. The direction is trained on WMT21 only by default: every WMT21 set is news,
while WMT23 mixes domains unevenly across directions (a model would learn genre), so WMT23 is a check.
A baseline (length ratios only, same procedure) is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict

from twinpages.eval.provenance import evaluate_records, read_pairs
from twinpages.stages.provenance import (
    PARTIAL_GAP,
    SHAPE,
    Measures,
    ProvenanceModel,
    TextModel,
    bead_features,
    coverage_gap,
    feature_names,
    features,
    text_analyzer,
    text_terms,
    tokens,
)

VOCAB = 150  # most frequent words per language in the profile
CS = (0.003, 0.01, 0.03, 0.1, 0.3)
DIRECTION_TARGET = 0.95  # verdicts made must be right this often (out-of-fold, train)
PARTIAL_TARGET = 0.98
TRANSLATOR_TARGET = 0.90
LENGTH_ONLY = ("log_chars", "log_tokens", "log_all_chars")
TEXT_TERMS = 5000  # terms per text model
TEXT_C = 1.0


def canonical(rec: dict) -> tuple[tuple[str, str], Measures, int]:
    """The pair with its languages in alphabetical order, and 1 when the first side is the original."""
    m = Measures.from_dict(rec["measures"])  # stored with a = the original
    key = tuple(sorted((m.lang_a, m.lang_b)))
    return (key, m, 1) if key[0] == m.lang_a else (key, m.swapped(), 0)


def most_common(counts: Counter, n: int) -> list[tuple[str, int]]:
    """Counter.most_common with ties broken by the word: its own order follows insertion, which follows
    the iteration order of sets of strings and so changes from run to run (PYTHONHASHSEED)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def vocabularies(records: list[dict], size: int) -> dict[str, list[str]]:
    """Per language: the words in the most documents (function words, mostly), digits left out."""
    df: dict[str, Counter] = defaultdict(Counter)
    for rec in records:
        m = rec["measures"]
        for lang, text in ((m["lang_a"], m["text_a"]), (m["lang_b"], m["text_b"])):
            df[lang].update({t for t in tokens(text) if not t.isdigit()})
    return {lang: [w for w, _ in most_common(c, size)] for lang, c in df.items()}


def matrix(records: list[dict], vocab: dict[str, list[str]]):
    key = None
    xs, y_dir, y_mt, groups, ms = [], [], [], [], []
    for rec in records:
        key, m, first_original = canonical(rec)
        xs.append(features(m, vocab[key[0]], vocab[key[1]]))
        y_dir.append(first_original)
        y_mt.append(int(rec["translator"] == "machine"))
        groups.append(rec["group"])
        ms.append(m)
    return np.array(xs), np.array(y_dir), np.array(y_mt), np.array(groups), ms


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)


def fit(x: np.ndarray, y: np.ndarray, groups: np.ndarray, columns: list[int] | None = None,
        balanced: bool = False):
    """(C, linear model as a dict over every column, out-of-fold probabilities). ``balanced``: both classes
    weigh the same (machine outputs outnumber references several times)."""
    weight = "balanced" if balanced else None
    mean, scale = standardise(x)
    z = (x - mean) / scale
    cols = columns if columns is not None else list(range(x.shape[1]))
    folds = GroupKFold(n_splits=5)
    best = None
    for c in CS:
        lr = LogisticRegression(C=c, max_iter=2000, class_weight=weight)
        p = cross_val_predict(lr, z[:, cols], y, groups=groups, cv=folds, method="predict_proba")[:, 1]
        w = np.where(y == 1, len(y) / (2 * max(y.sum(), 1)), len(y) / (2 * max((1 - y).sum(), 1))) if balanced \
            else np.ones(len(y))
        loss = -np.mean(w * (y * np.log(np.clip(p, 1e-9, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-9, 1))))
        if best is None or loss < best[0]:
            best = (loss, c, p)
    _, c, oof = best
    lr = LogisticRegression(C=c, max_iter=2000, class_weight=weight).fit(z[:, cols], y)
    coef = np.zeros(x.shape[1])
    coef[cols] = lr.coef_[0]
    return c, {"mean": _r(mean), "scale": _r(scale), "coef": _r(coef), "intercept": float(lr.intercept_[0])}, oof


def _r(a: np.ndarray) -> list[float]:
    return [float(f"{v:.6g}") for v in a]


def threshold(p: np.ndarray, y: np.ndarray, target: float, balanced: bool = False) -> float:
    """The lowest probability (of the likelier answer) at which the answers given reach ``target`` (with
    ``balanced``: in each class, so that neither verdict is wrong more often than that)."""
    sure = np.maximum(p, 1 - p)
    right = (p >= 0.5) == (y == 1)
    for t in np.arange(0.5, 1.0, 0.01):
        sel = sure >= t
        said = [sel & ((p >= 0.5) == bool(v)) for v in (0, 1)] if balanced else [sel]
        if sel.sum() and all(right[s].mean() >= target for s in said if s.sum()):
            return round(float(t), 2)
    return 1.0


def oriented_matrix(records: list[dict], vocab: dict[str, list[str]]):
    """Features with the original first (as stored), the translator label and the groups."""
    ms = [Measures.from_dict(r["measures"]) for r in records]
    x = np.array([features(m, vocab[m.lang_a], vocab[m.lang_b]) for m in ms])
    y = np.array([int(r["translator"] == "machine") for r in records])
    return x, y, np.array([r["group"] for r in records]), ms


def fit_text(texts: list[str], y: np.ndarray, analyzer: str) -> dict:
    """The text model (stages/provenance.TextModel) of one translation direction: the TEXT_TERMS terms in
    most documents (at least 3), sublinear TF-IDF, balanced logistic regression."""
    df: Counter = Counter()
    for t in texts:
        df.update(set(text_terms(t, analyzer)))
    terms = [w for w, n in most_common(df, TEXT_TERMS) if n >= 3]
    idf = np.array([math.log((1 + len(texts)) / (1 + df[w])) + 1 for w in terms])
    model = TextModel(analyzer, {w: i for i, w in enumerate(terms)}, idf, np.zeros(len(terms)), 0.0)
    lr = LogisticRegression(C=TEXT_C, max_iter=3000, class_weight="balanced").fit(_sparse(model, texts), y)
    return {"analyzer": analyzer, "terms": terms, "idf": _r(idf), "coef": _r(lr.coef_[0]),
            "intercept": float(lr.intercept_[0])}


def _sparse(model: TextModel, texts: list[str]):
    rows, cols, vals = [], [], []
    for i, t in enumerate(texts):
        for k, w in model.vector(t).items():
            rows.append(i)
            cols.append(k)
            vals.append(w)
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), len(model.vocab)))


def text_logits(texts: list[str], y: np.ndarray, groups: np.ndarray, analyzer: str) -> tuple[dict, np.ndarray]:
    """The text model on all of them, and its out-of-fold logits (vocabulary chosen within each fold)."""
    oof = np.zeros(len(texts))
    for tr, te in GroupKFold(n_splits=5).split(texts, y, groups):
        m = TextModel.from_dict(fit_text([texts[i] for i in tr], y[tr], analyzer))
        oof[te] = [m.logit(texts[i]) for i in te]
    return fit_text(texts, y, analyzer), oof


def train_translator(recs: list[dict], vocab, cols, text_model: bool = True):
    """The text, translator and bead models of one direction, and the translator's threshold. With
    ``cols`` (the baseline's columns) or without ``text_model`` no text model: its column stays zero."""
    x, y, g, ms = oriented_matrix(recs, vocab)
    if cols is None and text_model:
        text, oof_text = text_logits([m.text_b for m in ms], y, g, text_analyzer(ms[0].lang_b))
    else:
        text, oof_text = {"analyzer": "word", "terms": [], "idf": [], "coef": [], "intercept": 0.0}, np.zeros(len(y))
    x = np.c_[x, oof_text]
    c, translator, oof = fit(x, y, g, cols, balanced=True)
    # beads: the document's out-of-fold translator logit with each bead's own shape
    rows, labels, bead_groups = [], [], []
    for m, p, label, grp in zip(ms, oof, y, g, strict=True):
        logit = float(np.log(np.clip(p, 1e-9, 1) / np.clip(1 - p, 1e-9, 1)))
        b = bead_features(m, logit)
        rows.append(b)
        labels += [label] * len(b)
        bead_groups += [grp] * len(b)
    _, bead, _ = fit(np.concatenate(rows), np.array(labels), np.array(bead_groups), balanced=True)
    return translator, bead, threshold(oof, y, TRANSLATOR_TARGET, balanced=True), c, text


def train_pair(key, dir_recs, mt_recs, vocab, length_only: bool, text_model: bool = True):
    names = feature_names(vocab[key[0]], vocab[key[1]])
    cols = [names.index(n) for n in LENGTH_ONLY] if length_only else None
    x, y_dir, _, g, ms = matrix(dir_recs, vocab)
    partial = np.array([coverage_gap(m) >= PARTIAL_GAP for m in ms])
    c_dir, direction, oof_dir = fit(x[~partial], y_dir[~partial], g[~partial], cols)
    c_part, direction_partial, oof_part = fit(x[partial], y_dir[partial], g[partial], cols)
    translators, beads, thresholds, cs, texts = {}, {}, {}, {}, {}
    for orig, trans in (key, key[::-1]):
        name = f"{orig}->{trans}"
        recs = [r for r in mt_recs if r["original"] == orig]
        if len({r["translator"] for r in recs}) < 2:
            continue
        translators[name], beads[name], thresholds[name], cs[name], texts[name] = train_translator(
            recs, vocab, cols, text_model)
    return {"langs": list(key), "vocab": {key[0]: vocab[key[0]], key[1]: vocab[key[1]]},
            "direction": direction, "direction_threshold": threshold(oof_dir, y_dir[~partial], DIRECTION_TARGET),
            "direction_partial": direction_partial,
            "partial_threshold": threshold(oof_part, y_dir[partial], PARTIAL_TARGET),
            "translator": translators, "bead": beads, "translator_threshold": thresholds, "text": texts,
            "training": {"direction_pairs": int((~partial).sum()), "direction_partial_pairs": int(partial.sum()),
                         "translator_pairs": len(mt_recs), "C_direction": c_dir, "C_direction_partial": c_part,
                         "C_translator": cs}}


def train(records: list[dict], direction_years: set[str], length_only: bool = False, text_model: bool = True) -> dict:
    train_recs = [r for r in records if r["fold"] == "train"]
    vocab = vocabularies(train_recs, VOCAB)
    by_pair: dict[tuple, list[dict]] = defaultdict(list)
    for r in train_recs:
        by_pair[tuple(sorted((r["original"], r["translation"])))].append(r)
    pairs = []
    for key, recs in sorted(by_pair.items()):
        dir_recs = [r for r in recs if r["set"].split(".")[0] in direction_years]
        if len({r["original"] for r in dir_recs}) < 2 or len({r["original"] for r in recs}) < 2:
            continue  # both directions are needed to learn one
        pairs.append(train_pair(key, dir_recs, recs, vocab, length_only, text_model))
        print(f"trained {key}: {pairs[-1]['training']}", file=sys.stderr, flush=True)
    return {"info": {"trained": "training/provenance/train.py on WMT21 + WMT23 (training/provenance/wmt.py)",
                     "direction_sets": sorted(direction_years), "length_only": length_only,
                     "text_model": text_model,
                     "features": {"vocab": VOCAB, "shape": list(SHAPE)}},
            "pairs": pairs}


def report(records: list[dict], model: dict) -> dict:
    pm = ProvenanceModel(model)
    dev = [r for r in records if r["fold"] == "dev"]
    out = {}
    for year in ("wmt21", "wmt23"):
        out[year] = evaluate_records([r for r in dev if r["set"].startswith(year)], pm)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=Path, required=True)
    ap.add_argument("--out", type=Path, help="the model file to write")
    ap.add_argument("--metrics", type=Path, help="write the dev figures here (JSON)")
    ap.add_argument("--direction-sets", default="wmt21", help="comma-separated: wmt21, wmt23")
    ap.add_argument("--json", action="store_true", help="print the dev figures as one JSON line last")
    args = ap.parse_args()
    records = list(read_pairs(args.pairs, fold=None))
    years = set(args.direction_sets.split(","))
    model = train(records, years)
    baseline = train(records, years, length_only=True)
    figures = {"model": report(records, model), "baseline_length_ratio": report(records, baseline),
               "direction_sets": sorted(years)}
    if args.out:
        args.out.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    if args.metrics:
        args.metrics.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
