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
from sklearn.model_selection import GroupKFold

sys.path.insert(0, str(Path(__file__).parent))
import data  # noqa: E402

from twinpages.backends.lid import get_identifier  # noqa: E402
from twinpages.eval.extract_f1 import metrics, page_counts  # noqa: E402
from twinpages.stages import lineclass  # noqa: E402
from twinpages.stages.extract import (  # noqa: E402
    _NO_STOPWORD_SIGNAL,
    ExtractConfig,
    line_verdicts,
    page_language,
    reads_clean,
    stopwords,
)

PARAMS = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "min_samples_leaf": 40,
          "l2_regularization": 1.0, "random_state": 0}


def page_matrix(page: data.Page, lid, repeated: set[int] | None = None) -> tuple:
    """Features, the rules' marks and the rules' vetoes of a page's lines, as `extract` computes them
    (``repeated``: the lines its site repeats, as a run's count phase finds them), and whether extract would
    leave the page to the rules (extract.reads_clean)."""
    raw = "\n".join(page.lines)
    lang = page_language(raw, lid)
    lines, classes, vetoed, on_site = line_verdicts(raw, lang, ExtractConfig(), repeated)
    stop = stopwords(lang) if lang not in _NO_STOPWORD_SIGNAL else frozenset()
    x = lineclass.features([line.text for line in lines], classes, [line.is_main for line in lines], on_site, stop)
    return x, [line.is_main for line in lines], vetoed, reads_clean(classes)


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


def html_f1(pages: list[data.Page]) -> list[tuple[float, float, float] | None]:
    """The HTML extractor (stages/extract.extract_html, trafilatura) on each page that has its HTML, scored
    against the same expected text as the line dump."""
    from twinpages.stages.extract import extract_html

    out = []
    for page in pages:
        if page.html is None:
            out.append(None)
            continue
        try:
            _, lines = extract_html(page.html)
        except Exception:  # refused by the limits: it keeps nothing
            lines = []
        out.append(page_counts(page.expected, "\n".join(line.text for line in lines if line.is_main)))
    return out


def is_copy(page: data.Page) -> bool:
    return page.id.endswith("#clean")


def page_kind(page: data.Page) -> str:
    return page.host if page.host.startswith("debian/") else page.id.split("/")[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--readability", type=Path)
    ap.add_argument("--newspaper", type=Path)
    ap.add_argument("--newspaper4k", type=Path, help="AndyTheFactory/newspaper4k: its non-English test pages")
    ap.add_argument("--postlight", type=Path, help="postlight/parser: its fixtures, silver-labelled (data.postlight)")
    ap.add_argument("--manuals", "--debian", type=Path, dest="manuals",
                    help="folder the Debian manual packages were unpacked into (dpkg -x; data.MANUALS)")
    ap.add_argument("--pages-per-language", type=int, default=data.DEBIAN_PAGES)
    ap.add_argument("--no-site-repeats", action="store_true",
                    help="train without the lines a manual repeats across its pages (one page a site, as before)")
    ap.add_argument("--clean-copies", action="store_true", help="add each page's article alone (data.clean_copies)")
    ap.add_argument("--html", action="store_true", help="score the HTML extractor on the pages that have HTML")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", action="store_true", help="print the cross-validated figures as one JSON line")
    args = ap.parse_args()
    pages = data.load(args.readability, args.newspaper, args.manuals, args.newspaper4k, args.postlight,
                      args.pages_per_language)
    if args.clean_copies:
        pages += data.clean_copies(pages)
    lid = get_identifier("fasttext")
    repeats = data.site_repeats(pages)
    xs, xs_alone, ys, rules, vetoes, vetoes_alone, groups, clean = [], [], [], [], [], [], [], []
    for page, repeated in zip(pages, repeats, strict=True):
        x, rule_main, vetoed, clean_page = page_matrix(page, lid, None if args.no_site_repeats else repeated)
        x_alone, _, vetoed_alone, _ = page_matrix(page, lid) if repeated else (x, None, vetoed, None)
        clean.append(clean_page)
        xs.append(x)
        xs_alone.append(x_alone)
        ys += page.labels
        rules += rule_main
        vetoes += vetoed
        vetoes_alone += vetoed_alone
        groups += [page.host] * len(page.labels)
    x, x_alone, y = np.vstack(xs), np.vstack(xs_alone), np.array(ys)
    rules, groups, vetoes, vetoes_alone = np.array(rules), np.array(groups), np.array(vetoes), np.array(vetoes_alone)
    # Out-of-fold: every page is scored by trees that never saw its site; each fold's trees also score the
    # page as it reads alone (no other page of its site in the run)
    oof, oof_alone = np.zeros(len(y)), np.zeros(len(y))
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        clf = HistGradientBoostingClassifier(**PARAMS).fit(x[train], y[train])
        oof[test] = clf.predict_proba(x[test])[:, 1]
        oof_alone[test] = clf.predict_proba(x_alone[test])[:, 1]
    spans, start = [], 0
    for page in pages:
        spans.append((start, start + len(page.labels)))
        start += len(page.labels)

    def kept(p: np.ndarray, t: float, alone: bool = False) -> np.ndarray:  # as extract decides, page by page
        v, xx = (vetoes_alone, x_alone) if alone else (vetoes, x)
        return np.concatenate([rules[a:b] if clean[k] else lineclass.keep(p[a:b], t, v[a:b], xx[a:b])
                               for k, (a, b) in enumerate(spans)])

    def counts(keep: np.ndarray) -> list[tuple[float, float, float]]:
        return [page_counts(page.expected, "\n".join(t for t, k in zip(page.lines, keep[slice(*span)], strict=True)
                                                     if k)) for page, span in zip(pages, spans, strict=True)]

    def scored(c: list, only: list[int] | None = None) -> dict:
        m = metrics([c[k] for k in (range(len(pages)) if only is None else only)])
        return {k: round(v, 4) for k, v in m.items()}

    # The keep threshold is chosen on the web pages (not the manuals): the kind of page a crawl is made of
    web = [k for k, page in enumerate(pages) if not page.host.startswith("debian/") and not is_copy(page)]
    best = max(np.arange(0.1, 0.8, 0.02), key=lambda t: scored(counts(kept(oof, t)), web)["f1"])
    c_rules, c_model = counts(rules), counts(kept(oof, best))
    c_alone = counts(kept(oof_alone, best, alone=True))
    # Every figure is on the real pages: a clean copy is training data, not a page to score
    real = [k for k, page in enumerate(pages) if not is_copy(page)]
    real_lines = np.concatenate([np.arange(*spans[k]) for k in real])
    figures = {"pages": len(real), "clean_copies": len(pages) - len(real),
               "sites": len(set(groups.tolist())), "lines": len(real_lines),
               "article_lines": int(y[real_lines].sum()), "threshold": round(float(best), 2),
               "lines_rules": prf(rules[real_lines], y[real_lines]),
               "lines_model": prf(kept(oof, best)[real_lines], y[real_lines]),
               "shingles_rules": scored(c_rules, real), "shingles_model": scored(c_model, real),
               "shingles_model_without_vetoes": scored(counts(oof >= best), real)}
    c_html = html_f1(pages) if args.html else [None] * len(pages)

    def table(key, only=lambda page: True) -> dict:
        by: dict[str, list[int]] = {}
        for k, page in enumerate(pages):
            if only(page) and not is_copy(page):
                by.setdefault(key(k, page), []).append(k)
        out = {}
        for name, ks in sorted(by.items(), key=lambda kv: -len(kv[1])):
            row = {"pages": len(ks), "rules": scored(c_rules, ks)["f1"], "model": scored(c_model, ks)["f1"]}
            if any(repeats[k] for k in ks):
                row["model_page_alone"] = scored(c_alone, ks)["f1"]
            if all(c_html[k] is not None for k in ks):  # the HTML extractor on the very same pages
                row["html"] = scored(c_html, ks)["f1"]
            out[name] = row
        return out

    def lang_of(k: int, page: data.Page) -> str:
        return page.lang or lid.detect(page.expected[:2000])[0] or "und"

    figures["by_source"] = table(lambda k, page: page_kind(page))
    # The comparison: the line dump against the HTML extractor on the same pages, those whose
    # language their source states and whose article is not the HTML extractor's own (the manuals, newspaper4k)
    figures["by_family"] = table(lambda k, page: data.family(page.lang), only=lambda page: page.lang is not None)
    figures["by_family_all_gold"] = table(lambda k, page: data.family(lang_of(k, page)),
                                          only=lambda page: not page.id.startswith("postlight/"))
    figures["by_language"] = {k: v for k, v in table(lang_of).items() if v["pages"] >= 5}
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=1))
    if args.out:
        clf = HistGradientBoostingClassifier(**PARAMS).fit(x, y)
        sources = sorted({page_kind(p).split("/")[0] for p in pages})
        model = {"info": {"trained": "training/lines/train.py", "data": ", ".join(sources),
                          "cross_validation": figures, "features": lineclass.feature_names()},
                 "threshold": round(float(best), 2), "model": export(clf)}
        args.out.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
