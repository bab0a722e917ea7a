"""The data recipe for the line classifier: public pages with their article text, as line dumps with a
label per line.

Sources (public git repositories, read without a work tree: a bare clone or `fetch` snapshot will do):
- https://github.com/mozilla/readability `test/test-pages/*/source.html` with `expected.html` (Apache-2.0)
- https://github.com/codelucas/newspaper `tests/data/html/*.html` with `tests/data/text/*.txt` (MIT)
- Debian's HTML manuals `aptitude-doc-{cs,en,es,fr,it,ja,nl,ru}` and `debian-faq`,
  `debian-faq-{de,fr,it,ja,nl,pt,ru,zh-cn}` (`apt-get download`, `dpkg -x` into one folder; free
  licences of the packages): DocBook pages whose navigation header and footer and tables of contents
  (`div.navheader`, `div.navfooter`, `div.toc`) are the boilerplate, the rest the article — multilingual.
None is trafilatura's evaluation set, a fork or port of trafilatura, ScrapingHub's benchmark or a Debian
`debian-reference-*` manual (all kept aside).

Line dumps are made as `../shared/README.md` describes: resiliparse `extract_plain_text(html,
main_content=False, list_bullets=False, alt_texts=False, links=False)`, non-empty lines. A line is
article text when most of its word 3-grams (a short line: its whole normalised text) occur in the page's
expected article text.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_WORDS = re.compile(r"\w+", re.UNICODE)


@dataclass
class Page:
    id: str  # source and page name
    host: str  # for grouped cross-validation: pages of one site never on both sides
    lines: list[str]
    labels: list[bool]
    expected: str  # the article text, for the page-level shingle metric


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
    return _WORDS.findall(text.lower())


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


DEBIAN_PAGES = 10  # per manual and language: a manual's pages share one layout


def debian(root: Path) -> Iterator[Page]:
    """Pages of the Debian manuals unpacked under ``root`` (usr/share/doc/aptitude/html/LANG/*.html,
    usr/share/doc/debian/FAQ/[LANG/]*.html); the site is the manual, whatever the language."""
    import lxml.html

    folders = sorted(root.glob("usr/share/doc/aptitude/html/*")) + [root / "usr/share/doc/debian/FAQ"] + sorted(
        d for d in (root / "usr/share/doc/debian/FAQ").glob("*") if d.is_dir())
    for folder in folders:
        manual = "aptitude" if "aptitude" in folder.parts else "debian-faq"
        files = [f for f in sorted(folder.glob("*.html")) if not f.is_symlink() and not f.name.startswith("ld-")
                 and f.name != "index.html"]
        taken = 0
        for f in files:
            html = f.read_text(encoding="utf-8", errors="replace")
            tree = lxml.html.fromstring(f.read_bytes())
            for node in tree.xpath('//div[@class="navheader" or @class="navfooter" or @class="toc"]'):
                node.getparent().remove(node)
            expected = html_text(lxml.html.tostring(tree, encoding="unicode"))
            lines = line_dump(html)
            if len(expected.split()) < 50:
                continue
            yield Page(f"debian/{manual}/{folder.name}/{f.name}", f"debian/{manual}", lines, label(lines, expected),
                       expected)
            taken += 1
            if taken == DEBIAN_PAGES:
                break


def load(readability_repo: Path | None, newspaper_repo: Path | None, debian_root: Path | None = None) -> list[Page]:
    pages = []
    if readability_repo:
        pages += list(readability(readability_repo))
    if newspaper_repo:
        pages += list(newspaper(newspaper_repo))
    if debian_root:
        pages += list(debian(debian_root))
    return [p for p in pages if any(p.labels)]
