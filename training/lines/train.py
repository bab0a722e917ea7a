"""Train the line classifier (stages/lineclass.py) on public pages (data.py) and report host-grouped
cross-validation.

    python training/lines/train.py --readability PATH --newspaper PATH --out src/twinpages/resources/lineclass.json

Features come from the same code `extract` runs (extract.line_verdicts, lineclass.features), with the
page's language guessed as `extract` guesses it. Gradient-boosted trees (scikit-learn
HistGradientBoostingClassifier); a line is kept when its probability reaches the threshold and the rules
do not veto it (extract.VETO_REASONS; a heading or bad line outside the rules' runs). The threshold
maximises, on out-of-fold predictions (5 folds grouped by site), the page-level token-shingle F1 of
ScrapingHub's benchmark (eval/extract_f1.py). Prints the cross-validated line and shingle P/R/F1 of the
rules and of the model, and writes the trees as JSON (evaluated with numpy at run time).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold, cross_val_predict

sys.path.insert(0, str(Path(__file__).parent))
import data  # noqa: E402

from twinpages.backends.lid import get_identifier  # noqa: E402
from twinpages.eval.extract_f1 import metrics, page_counts  # noqa: E402
from twinpages.stages import lineclass  # noqa: E402
from twinpages.stages.extract import _NO_STOPWORD_SIGNAL, ExtractConfig, line_verdicts, page_language, stopwords  # noqa: E402,E501

PARAMS = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "min_samples_leaf": 40,
          "l2_regularization": 1.0, "random_state": 0}


def page_matrix(page: data.Page, lid) -> tuple[np.ndarray, list[bool], list[bool]]:
    """Features, the rules' marks and the rules' vetoes of a page's lines, as `extract` computes them."""
    raw = "\n".join(page.lines)
    lang = page_language(raw, lid)
    lines, classes, vetoed, on_site = line_verdicts(raw, lang, ExtractConfig())
    stop = stopwords(lang) if lang not in _NO_STOPWORD_SIGNAL else frozenset()
    x = lineclass.features([line.text for line in lines], classes, [line.is_main for line in lines], on_site, stop)
    return x, [line.is_main for line in lines], vetoed


def prf(pred: np.ndarray, y: np.ndarray) -> dict:
    tp = float((pred & y).sum())
    p = tp / max(pred.sum(), 1)
    r = tp / max(y.sum(), 1)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0, 4)}


def export(clf: HistGradientBoostingClassifier) -> dict:
    trees = []
    for (predictor,) in clf._predictors:
        n = predictor.nodes
        trees.append({"feature": n["feature_idx"].tolist(), "threshold": [float(v) for v in n["num_threshold"]],
                      "left": n["left"].tolist(), "right": n["right"].tolist(), "leaf": n["is_leaf"].tolist(),
                      "value": [float(f"{v:.6g}") for v in n["value"]],
                      "missing_left": n["missing_go_to_left"].tolist()})
    return {"baseline": float(np.ravel(clf._baseline_prediction)[0]), "trees": trees}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--readability", type=Path)
    ap.add_argument("--newspaper", type=Path)
    ap.add_argument("--debian", type=Path, help="folder the Debian manual packages were unpacked into (dpkg -x)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", action="store_true", help="print the cross-validated figures as one JSON line")
    args = ap.parse_args()
    pages = data.load(args.readability, args.newspaper, args.debian)
    lid = get_identifier("fasttext")
    xs, ys, rules, vetoes, groups = [], [], [], [], []
    for page in pages:
        x, rule_main, vetoed = page_matrix(page, lid)
        xs.append(x)
        ys += page.labels
        rules += rule_main
        vetoes += vetoed
        groups += [page.host] * len(page.labels)
    x, y, rules, groups = np.vstack(xs), np.array(ys), np.array(rules), np.array(groups)
    vetoes = np.array(vetoes)
    clf = HistGradientBoostingClassifier(**PARAMS)
    oof = cross_val_predict(clf, x, y, groups=groups, cv=GroupKFold(n_splits=5), method="predict_proba")[:, 1]
    spans, start = [], 0
    for page in pages:
        spans.append((start, start + len(page.labels)))
        start += len(page.labels)

    def kept(p: np.ndarray, t: float) -> np.ndarray:  # as extract decides, page by page
        return np.concatenate([lineclass.keep(p[a:b], t, vetoes[a:b], x[a:b]) for a, b in spans])

    def shingle_f1(keep: np.ndarray, only: set[int] | None = None) -> dict:
        chosen = [k for k in range(len(pages)) if only is None or k in only]
        preds = ["\n".join(t for t, kept_ in zip(pages[k].lines, keep[slice(*spans[k])], strict=True) if kept_)
                 for k in chosen]
        m = metrics([page_counts(pages[k].expected, pred) for k, pred in zip(chosen, preds, strict=True)])
        return {k: round(v, 4) for k, v in m.items()}

    best = max(np.arange(0.1, 0.8, 0.02), key=lambda t: shingle_f1(kept(oof, t))["f1"])
    figures = {"pages": len(pages), "sites": len(set(groups.tolist())), "lines": len(y),
               "article_lines": int(y.sum()), "threshold": round(float(best), 2),
               "lines_rules": prf(rules, y), "lines_model": prf(kept(oof, best), y),
               "shingles_rules": shingle_f1(rules), "shingles_model": shingle_f1(kept(oof, best)),
               "shingles_model_without_vetoes": shingle_f1(oof >= best)}
    langs: dict[str, set[int]] = {}
    for k, page in enumerate(pages):
        langs.setdefault(lid.detect(page.expected[:2000])[0] or "und", set()).add(k)
    figures["by_language"] = {lang: {"pages": len(ks), "rules": shingle_f1(rules, ks)["f1"],
                                     "model": shingle_f1(kept(oof, best), ks)["f1"]}
                              for lang, ks in sorted(langs.items(), key=lambda kv: -len(kv[1])) if len(ks) >= 5}
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=1))
    if args.out:
        clf.fit(x, y)
        model = {"info": {"trained": "training/lines/train.py", "data": "mozilla/readability test pages, "
                          "codelucas/newspaper test pages", "cross_validation": figures,
                          "features": lineclass.feature_names()},
                 "threshold": round(float(best), 2), "model": export(clf)}
        args.out.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
