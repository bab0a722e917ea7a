"""Long pages: Debian's multilingual documentation as a document-alignment benchmark (issue 14).

The HTML manuals `aptitude-doc-{cs,en,es,fi,fr,it,ja,nl,ru}` and `debian-faq` with
`debian-faq-{de,fr,it,ja,ko,nl,pt,ru,zh-cn}` are fetched from Debian (`apt-get download`, the package
registry) and unpacked (`dpkg -x`) into a cache folder; each page becomes `corpus/MANUAL-LANG/NAME.html`.

Gold: two pages are a pair when they are the same page of one manual (the same file name) in two
languages, for every two languages that have it. Left out: the manuals' `ld-idm*.html` pages (long
descriptions of images, named by ids that DocBook generates per build, so equal names do not mean
equal pages), `index.html` (tables of contents) and the FAQ's language-less symlinks. Some translations
are partial or outdated (the Finnish aptitude manual lacks sections, so its file names shift against
the others): gold pairs that are not translations in fact count against recall; the script reports
how many gold pairs each language pair has.

    python benchmarks/debian_docs.py --cache /tmp/debian-docs [--manuals faq aptitude] [--langs en de fr]
        [--workers 2] [--json]

Runs `twinpages mine --one-to-one` over the corpus (the other mine options via --mine-args) and prints
P/R/F1 of the document pairs per manual and language pair, seconds per phase, candidate pairs, the
decide/embed time ratio and CPU time / wall time in the decide phase.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

APTITUDE_LANGS = "cs en es fi fr it ja nl ru".split()
FAQ_LANGS = "de fr it ja ko nl pt ru zh-cn".split()
EMBED_PHASES = ("hashed", "owned", "embedded", "assembled")


def packages(manuals: list[str]) -> list[str]:
    out = []
    if "aptitude" in manuals:
        out += [f"aptitude-doc-{lang}" for lang in APTITUDE_LANGS]
    if "faq" in manuals:
        out += ["debian-faq"] + [f"debian-faq-{lang}" for lang in FAQ_LANGS]
    return out


def fetch(cache: Path, manuals: list[str]) -> Path:
    """The unpacked packages (cached): CACHE/root/usr/share/doc/..."""
    debs, root = cache / "debs", cache / "root"
    debs.mkdir(parents=True, exist_ok=True)
    wanted = [p for p in packages(manuals) if not list(debs.glob(f"{p}_*.deb"))]
    if wanted:
        subprocess.run(["apt-get", "download", *wanted], cwd=debs, check=True, capture_output=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return root


def pages(root: Path, manuals: list[str], langs: set[str] | None) -> dict[tuple[str, str], dict[str, Path]]:
    """(manual, page name) -> {language: file}."""
    found: dict[tuple[str, str], dict[str, Path]] = {}
    doc = root / "usr" / "share" / "doc"
    if "aptitude" in manuals:
        for lang in APTITUDE_LANGS:
            for path in sorted((doc / "aptitude" / "html" / lang).glob("*.html")):
                found.setdefault(("aptitude", path.name), {})[lang] = path
    if "faq" in manuals:
        faq = doc / "debian" / "FAQ"
        for path in sorted(faq.glob("*.en.html")):
            found.setdefault(("faq", path.name.removesuffix(".en.html")), {})["en"] = path
        for lang in FAQ_LANGS:
            for path in sorted((faq / lang).glob(f"*.{lang}.html")):
                found.setdefault(("faq", path.name.removesuffix(f".{lang}.html")), {})[lang] = path
    return {key: {lang: p for lang, p in versions.items() if langs is None or lang in langs}
            for key, versions in found.items()}


def build(cache: Path, manuals: list[str], langs: set[str] | None) -> tuple[Path, set[frozenset[str]], dict]:
    """CACHE/corpus-TAG/MANUAL-LANG/NAME.html and the gold pairs (as document ids)."""
    root = fetch(cache, manuals)
    tag = "-".join(sorted(manuals)) + ("-" + "-".join(sorted(langs)) if langs else "")
    corpus = cache / f"corpus-{tag}"
    if corpus.exists():
        shutil.rmtree(corpus)
    gold: set[frozenset[str]] = set()
    per_lp: Counter = Counter()
    for (manual, name), versions in sorted(pages(root, manuals, langs).items()):
        ids = {}
        for lang, path in versions.items():
            doc_id = f"{manual}-{lang}/{name if name.endswith('.html') else name + '.html'}"
            target = corpus / doc_id
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.resolve().read_bytes())
            ids[lang] = doc_id
        if name.startswith("ld-idm") or name in ("index.html", "index"):
            continue  # not gold (see the docstring): in the corpus all the same, as distractors
        for a, b in itertools.combinations(sorted(ids), 2):
            gold.add(frozenset((ids[a], ids[b])))
            per_lp[f"{manual} {a}-{b}"] += 1
    return corpus, gold, dict(sorted(per_lp.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, required=True, help="download and corpus folder")
    ap.add_argument("--manuals", nargs="+", default=["faq", "aptitude"], choices=["faq", "aptitude"])
    ap.add_argument("--langs", nargs="+", default=None, help="only these languages (default: all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--mine-args", default="", help="more `twinpages mine` options, quoted")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    corpus, gold, per_lp = build(args.cache, args.manuals, set(args.langs) if args.langs else None)
    out = args.cache / "run"
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "twinpages", "mine", str(corpus), "-o", str(out), "--one-to-one", "--json",
           "--workers", str(args.workers), *args.mine_args.split()]
    t0 = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if done.returncode not in (0, 3):
        sys.exit(done.stderr)
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    found = {frozenset((p["src_id"], p["tgt_id"])): p
             for p in map(json.loads, (out / "docpairs.jsonl").read_text(encoding="utf-8").splitlines())}
    tp = len(set(found) & gold)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(gold) if gold else 0.0
    by_lp: dict[str, list[int]] = {}
    for pair in gold | set(found):
        a, b = sorted(pair)
        key = f"{a.split('/')[0]} {b.split('/')[0]}"
        counts = by_lp.setdefault(key, [0, 0, 0])  # gold, found, both
        counts[0] += pair in gold
        counts[1] += pair in found
        counts[2] += pair in gold and pair in found
    seconds = stats.get("stage_seconds", {})
    cpu = stats.get("cpu_seconds", {})
    result = {
        "pages": stats["documents_read"], "kept": stats["documents_kept"], "gold_pairs": len(gold),
        "candidates": stats["candidates"], "pairs": len(found), "precision": round(precision, 4),
        "recall": round(recall, 4), "f1": round(2 * precision * recall / (precision + recall), 4) if tp else 0.0,
        "wall_seconds": round(wall, 1), "stage_seconds": seconds, "cpu_seconds": cpu,
        "decide_over_embed": round(seconds.get("aligned", 0) / seconds["embedded"], 2)
        if seconds.get("embedded") else None,
        "decide_cpu_over_wall": round(cpu.get("aligned", 0) / seconds["aligned"], 2)
        if seconds.get("aligned") else None,
        # the embed stage's CPU: the encoder's phase (embedded) and, since run-wide sentence dedup, the
        # hashing, owners and gathering around it (phases/embed.py)
        "embed_stage_cpu": round(sum(cpu.get(p, 0) for p in EMBED_PHASES), 1),
        "decide_cpu_over_embed_stage_cpu": round(cpu.get("aligned", 0) / sum(cpu.get(p, 0) for p in EMBED_PHASES), 2)
        if any(cpu.get(p) for p in EMBED_PHASES) else None,
        "by_language_pair": {k: {"gold": v[0], "found": v[1], "correct": v[2]} for k, v in sorted(by_lp.items())},
        "gold_per_language_pair": per_lp, "command": " ".join(cmd[1:]),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
