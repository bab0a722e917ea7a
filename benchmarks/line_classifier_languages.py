"""The shipped line classifier against the rules, language by language, on pages it never saw: Debian's
multilingual HTML manuals (training/lines/data.py's `debian` recipe: DocBook pages whose navigation header,
footer and tables of contents are the boilerplate).

    apt-get download aptitude-doc-{cs,en,es,fr,it,ja,nl,ru} debian-faq debian-faq-{de,fr,it,ja,nl,pt,ru,zh-cn}
    for f in *.deb; do dpkg -x "$f" debian/; done
    python benchmarks/line_classifier_languages.py debian/

Each page becomes a line dump as `twinpages eval extract --mode lines` makes one and is extracted with the
page's language as `extract` guesses it; scored with ScrapingHub's shingle metric against the page's text
without its navigation. Prints one JSON object: per language, pages and F1 of the rules and of the model.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training" / "lines"))
import data  # noqa: E402

from twinpages.data import Document  # noqa: E402
from twinpages.eval.extract_f1 import metrics, page_counts  # noqa: E402
from twinpages.stages.extract import ExtractConfig, Extractor  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("debian", type=Path, help="the folder the manual packages were unpacked into")
    args = ap.parse_args()
    pages = list(data.debian(args.debian))
    extractors = {name: Extractor(ExtractConfig(line_classifier=name)) for name in ("rules", "model")}
    counts: dict[str, dict[str, list]] = {}
    for page in pages:
        lang = page.id.split("/")[2]
        lang = "en" if lang == "FAQ" else lang
        for name, ex in extractors.items():
            doc = ex.extract(Document(page.id, raw="\n".join(page.lines)))
            counts.setdefault(lang, {}).setdefault(name, []).append(page_counts(page.expected, doc.main_text))
    out = {lang: {"pages": len(c["rules"])} | {name: round(metrics(c[name])["f1"], 4) for name in c}
           for lang, c in sorted(counts.items())}
    every = {name: [x for c in counts.values() for x in c[name]] for name in extractors}
    out["all"] = {"pages": len(pages)} | {name: round(metrics(v)["f1"], 4) for name, v in every.items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
