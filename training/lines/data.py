"""The data recipe for the line classifier: public pages with their article text, as line dumps with a
label per line.

Sources (public git repositories, read without a work tree: a bare clone or `fetch` snapshot will do):
- https://github.com/mozilla/readability `test/test-pages/*/source.html` with `expected.html` (Apache-2.0)
- https://github.com/codelucas/newspaper `tests/data/html/*.html` with `tests/data/text/*.txt` (MIT)
- https://github.com/AndyTheFactory/newspaper4k: its non-English `tests/data/html/*_article*.html` with
  `tests/data/txt/` (MIT)
- https://github.com/postlight/parser `fixtures/**.html` (MIT), labelled by twinpages' HTML extractor (silver)
- Debian's HTML manuals (MANUALS: `apt-get download`, `dpkg -x` into one folder; free licences of the
  packages), labelled by their generator's layout: navigation, headers, footers and tables of contents are
  the boilerplate, the rest the article — 26 languages.
None is trafilatura's evaluation set, a fork or port of trafilatura, ScrapingHub's benchmark or a Debian
`debian-reference-*` manual (all kept aside).

Line dumps are made as `../shared/README.md` describes: resiliparse `extract_plain_text(html,
main_content=False, list_bullets=False, alt_texts=False, links=False)`, non-empty lines. A line is
article text when most of its 3-grams (a short line: its whole normalised text) occur in the page's
expected article text (`label`), or, for a manual, when it is on the longest common subsequence of the
page's lines and its article's lines (`label_by_alignment`).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_WORDS = re.compile(r"\w+", re.UNICODE)
# Scripts written without spaces between words: each character is a token there, so a line's 3-grams mean
# the same thing in Japanese as in German
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                       r"\uac00-\ud7af]")


@dataclass
class Page:
    id: str  # source and page name
    host: str  # for grouped cross-validation: pages of one site never on both sides
    lines: list[str]
    labels: list[bool]
    expected: str  # the article text, for the page-level shingle metric
    lang: str | None = None  # the page's language where its source says it (a manual's language folder)
    # where a crawl would count the lines its site repeats (stages/repeats.py): a manual in one language
    folder: str | None = None
    html: str | None = None  # the page itself, to score the HTML extractor on the same page


def _git(repo: Path, *args: str) -> str:
    git_dir = repo / ".git" if (repo / ".git").exists() else repo
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True,
                          text=True, errors="replace").stdout


def line_dump(html: str) -> list[str]:
    """The same flattening `twinpages eval extract --mode lines` applies to ScrapingHub's pages."""
    from twinpages.backends.html import page_text

    return page_text(html)


def html_text(html: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=False, list_bullets=False, alt_texts=False, links=False)


def _norm_words(text: str) -> list[str]:
    out = []
    for word in _WORDS.findall(text.lower()):
        out += list(word) if _UNSPACED.search(word) else [word]
    return out


def label(lines: list[str], expected: str) -> list[bool]:
    words = _norm_words(expected)
    grams = {tuple(words[i:i + 3]) for i in range(len(words) - 2)}
    joined = " " + " ".join(words) + " "
    out = []
    for line in lines:
        w = _norm_words(line)
        if not w:
            out.append(False)
        elif len(w) < 5:
            out.append(f" {' '.join(w)} " in joined)
        else:
            g = [tuple(w[i:i + 3]) for i in range(len(w) - 2)]
            out.append(sum(x in grams for x in g) / len(g) >= 0.5)
    return out


def label_by_alignment(lines: list[str], article_lines: list[str]) -> list[bool]:
    """Labels for a page whose article is the same flattening of the page without its boilerplate elements:
    a line is article text when it is on the longest common subsequence of the two line lists. Matching
    text alone would call a table of contents' entry article text because the heading it names is."""
    from difflib import SequenceMatcher

    out = [False] * len(lines)
    for a, _, size in SequenceMatcher(None, lines, article_lines, autojunk=False).get_matching_blocks():
        out[a:a + size] = [True] * size
    return out


def readability(repo: Path) -> Iterator[Page]:
    names = sorted({p.split("/")[2] for p in _git(repo, "ls-tree", "-r", "--name-only", "HEAD",
                                                    "test/test-pages/").split()})
    for name in names:
        try:
            source = _git(repo, "show", f"HEAD:test/test-pages/{name}/source.html")
            expected = _git(repo, "show", f"HEAD:test/test-pages/{name}/expected.html")
        except subprocess.CalledProcessError:
            continue
        lines = line_dump(source)
        site = re.sub(r"-\d+$", "", name)  # "nytimes-2" and "nytimes-3" are one site
        text = html_text(expected)
        yield Page(f"readability/{name}", f"readability/{site}", lines, label(lines, text), text)


def newspaper(repo: Path) -> Iterator[Page]:
    files = _git(repo, "ls-tree", "-r", "--name-only", "HEAD", "tests/data/html/").split()
    for path in sorted(files):
        name = path.rsplit("/", 1)[1].removesuffix(".html")
        try:
            expected = _git(repo, "show", f"HEAD:tests/data/text/{name}.txt")
        except subprocess.CalledProcessError:
            continue
        lines = line_dump(_git(repo, "show", f"HEAD:{path}"))
        host = re.sub(r"\d+$", "", name)
        yield Page(f"newspaper/{name}", host, lines, label(lines, expected), expected)


_NEWSPAPER4K_LANGS = {"arabic": "ar", "burmese": "my", "chinese": "zh", "japanese": "ja", "latvian": "lv",
                      "spanish": "es", "thai": "th"}


def newspaper4k(repo: Path) -> Iterator[Page]:
    """newspaper4k's test pages in other languages than English, with the article text its tests expect
    (`tests/data/html/NAME.html`, `tests/data/txt/NAME.txt`; MIT): Arabic, Burmese, Chinese, Japanese,
    Latvian, Spanish, Thai. Its English pages are codelucas/newspaper's, read by `newspaper`."""
    files = _git(repo, "ls-tree", "-r", "--name-only", "HEAD", "tests/data/html/").split()
    for path in sorted(files):
        name = path.rsplit("/", 1)[1].removesuffix(".html")
        if name.split("_")[0] not in _NEWSPAPER4K_LANGS or "_article" not in name:
            continue
        try:
            expected = _git(repo, "show", f"HEAD:tests/data/txt/{name}.txt")
        except subprocess.CalledProcessError:
            continue
        html = _git(repo, "show", f"HEAD:{path}")
        lines = line_dump(html)
        yield Page(f"newspaper4k/{name}", f"newspaper4k/{name}", lines, label(lines, expected), expected,
                   _NEWSPAPER4K_LANGS[name.split("_")[0]], html=html)


def postlight(repo: Path) -> Iterator[Page]:
    """Silver labels by distillation: postlight/parser's fixtures (`fixtures/**.html`, real pages saved from
    about 140 sites, English, Japanese, French, German, Korean…; MIT), labelled by twinpages' own HTML
    extractor (trafilatura, stages/extract.extract_html): a line of the dump is article text when it is in
    the HTML extractor's main text as `label` decides. The pages have no expected text of their own."""
    from twinpages.stages.extract import extract_html

    files = _git(repo, "ls-tree", "-r", "--name-only", "HEAD", "fixtures/").split()
    for path in sorted(f for f in files if f.endswith(".html")):
        site = re.sub(r"(--[^/]*)?(\.html)?$", "", path.removeprefix("fixtures/").split("/")[0])
        html = _git(repo, "show", f"HEAD:{path}")
        try:
            _, html_lines = extract_html(html)
        except Exception:  # a page the extractors refuse is no training page
            continue
        expected = "\n".join(line.text for line in html_lines if line.is_main)
        if len(expected) < 200:
            continue
        lines = line_dump(html)
        yield Page(f"postlight/{path.removeprefix('fixtures/')}", f"web/{site}", lines, label(lines, expected),
                   expected)


DEBIAN_PAGES = 10  # per manual and language: a manual's pages share one layout

# Debian's multilingual HTML manuals (`apt-get download`, `dpkg -x` into one folder; free licences of the
# packages): (manual, glob of its pages under the folder, how the language is named in the path, the
# elements that are boilerplate in its generator's layout). The site is the manual, whatever the language.
_DOCBOOK = '//div[@class="navheader" or @class="navfooter" or @class="toc" or @class="list-of-tables"]'
_PUBLICAN = '//div[@id="banner"] | //p[@id="title"] | //ul[contains(@class, "docnav")] | //div[@class="toc"]'
_SPHINX = ('//div[@role="navigation"] | //div[@class="footer"] | //div[@role="note"] | '
           '//a[@class="headerlink"] | //div[@id="searchbox"]')
MANUALS = (
    ("aptitude", "usr/share/doc/aptitude/html/*/*.html", r"html/([^/]+)/", _DOCBOOK),
    ("debian-faq", "usr/share/doc/debian/FAQ/*.en.html", r"\.(en)\.html$", _DOCBOOK),
    ("debian-faq", "usr/share/doc/debian/FAQ/*/*.html", r"/FAQ/([^/]+)/", _DOCBOOK),
    ("installation-guide", "usr/share/doc/installation-guide-amd64/*/*.html", r"amd64/([^/]+)/", _DOCBOOK),
    ("debian-history", "usr/share/doc/debian-history/docs/*.html", r"\.([a-z]{2}(?:-[a-z]{2})?)\.html$", _DOCBOOK),
    ("maint-guide", "usr/share/doc/maint-guide*/html/*.html", r"\.([a-z]{2}(?:-[a-z]{2})?)\.html$", _DOCBOOK),
    ("harden-doc", "usr/share/doc/harden-doc/html/*/*.html", r"html/([^/]+)/", _PUBLICAN),
    ("debian-handbook", "usr/share/doc/debian-handbook/html/*/*.html", r"html/([^/]+)/", _PUBLICAN),
    ("developers-reference", "usr/share/developers-reference/*.html", r"()", _SPHINX),
    ("developers-reference", "usr/share/developers-reference/*/*.html", r"reference/([a-z]{2})/", _SPHINX),
)
# Script families of the languages these manuals come in (the reporting groups)
FAMILIES = {"Cyrillic": {"ru", "uk", "bg", "sr", "mk", "be"}, "CJK": {"ja", "ko", "zh"},
            "Arabic/Hebrew": {"ar", "fa", "he", "ur"}, "Indic": {"hi", "bn", "ne", "mr", "ta", "te", "gu", "pa"},
            "Greek": {"el"}, "Thai/Burmese/Khmer": {"th", "my", "km", "lo"}}


def family(lang: str) -> str:
    base = lang.split("-")[0].split("_")[0].lower()
    return next((name for name, langs in FAMILIES.items() if base in langs), "Latin")


def manual_pages(root: Path, pages_per_language: int = DEBIAN_PAGES) -> Iterator[Page]:
    """Pages of the Debian manuals unpacked under ``root`` with their text outside the layout's navigation
    as the article. Page ids are ``debian/MANUAL/LANG/FILE`` (LANG ``en`` where the path names none)."""
    import lxml.html

    by_folder: dict[tuple[str, str], list[Path]] = {}
    for manual, pattern, lang_in_path, _ in MANUALS:
        for f in sorted(root.glob(pattern)):
            m = re.search(lang_in_path, str(f))
            if f.is_symlink() or not m or f.name.startswith(("ld-", "index", "search", "genindex")):
                continue
            lang = (m.group(1) or "en").replace("_", "-")
            by_folder.setdefault((manual, lang), []).append(f)
    boilerplate = {manual: xpath for manual, _, _, xpath in MANUALS}
    for (manual, lang), files in sorted(by_folder.items()):
        taken = 0
        for f in files:
            raw = f.read_bytes()
            tree = lxml.html.fromstring(raw)
            for node in tree.xpath(boilerplate[manual]):
                if node.getparent() is not None:
                    node.getparent().remove(node)
            expected = html_text(lxml.html.tostring(tree, encoding="unicode"))
            if len(expected.split()) < 50 and len(expected) < 400:
                continue
            lines = line_dump(raw.decode("utf-8", errors="replace"))
            labels = label_by_alignment(lines, [t.strip() for t in expected.splitlines() if t.strip()])
            yield Page(f"debian/{manual}/{lang}/{f.name}", f"debian/{manual}", lines, labels, expected, lang,
                       f"debian/{manual}/{lang}", raw.decode("utf-8", errors="replace"))
            taken += 1
            if taken == pages_per_language:
                break


def load(readability_repo: Path | None = None, newspaper_repo: Path | None = None, manuals_root: Path | None = None,
         newspaper4k_repo: Path | None = None, postlight_repo: Path | None = None,
         pages_per_language: int = DEBIAN_PAGES) -> list[Page]:
    pages = []
    if readability_repo:
        pages += list(readability(readability_repo))
    if newspaper_repo:
        pages += list(newspaper(newspaper_repo))
    if newspaper4k_repo:
        pages += list(newspaper4k(newspaper4k_repo))
    if postlight_repo:
        pages += list(postlight(postlight_repo))
    if manuals_root:
        pages += list(manual_pages(manuals_root, pages_per_language))
    return [p for p in pages if any(p.labels)]


WEB_GOLD = ("readability", "newspaper", "newspaper4k")


def clean_copies(pages: list[Page], kinds: tuple[str, ...] = WEB_GOLD) -> list[Page]:
    """Each page's expected article alone, every line article text: crawls hold clean texts too (JSONL
    records, main-content dumps), and a model that only saw pages framed by menus and footers learns that
    a page's last lines are boilerplate. Same site as the page, so cross-validation keeps them together."""
    out = []
    for p in pages:
        if p.id.split("/")[0] not in kinds:
            continue
        lines = [t.strip() for t in p.expected.splitlines() if t.strip()]
        if lines:
            out.append(Page(f"{p.id}#clean", p.host, lines, [True] * len(lines), p.expected, p.lang, None, None))
    return out


def site_repeats(pages: list[Page], min_docs: int = 3) -> list[set[int] | None]:
    """For each page, the hashes of the lines that min_docs pages of its folder hold, as a run's count
    phase finds them (stages/repeats.py); None for a page alone on its site."""
    from collections import Counter

    from twinpages.stages.repeats import line_hash

    counts: dict[str, Counter] = {}
    for page in pages:
        if page.folder:
            counts.setdefault(page.folder, Counter()).update({line_hash(t) for t in page.lines})
    repeated = {folder: {h for h, n in c.items() if n >= min_docs} for folder, c in counts.items()}
    return [repeated[p.folder] if p.folder else None for p in pages]
