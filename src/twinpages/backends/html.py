"""HTML main-content extraction backends; each returns the main text as a list of paragraphs.

- ``trafilatura`` (default): trafilatura in its precision mode, falling back to its default mode on
  the pages where precision mode kept less than half of what resiliparse's main-content pass finds
  (precision mode sometimes prunes a whole article body). Measured in BENCHMARKS.md.
- ``resiliparse``: resiliparse's main-content text, about ten times faster, for very large crawls.

``page_text`` gives the whole page as text lines (resiliparse, no main-content filter): the report
shows what extraction removed, and the line-dump benchmark is built from it.
"""

from __future__ import annotations

import re

EXTRACTORS = ("trafilatura", "resiliparse")
MAX_DEPTH = 512  # browsers stop nesting elements here too (Chromium's HTML tree builder)


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>")
# void elements, and elements whose end tag pages usually leave out
_UNCLOSED = frozenset("area base br col embed hr img input link meta param source track wbr p li td th tr "
                      "option dd dt".split())


class PathologicalHTML(ValueError):
    kind = "html_too_deep"


def check_depth(html: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse pages nested deeper than ``max_depth`` elements: the extractors' time grows with the square
    of the depth (100,000 nested divs take minutes), and no real page nests that deep. The parse is
    lexbor's (fast at any depth); the walk stops at the first node past the limit."""
    from resiliparse.parse.html import HTMLTree

    # Parsers slow down with depth too (lexbor: 19 s for 100,000 nested divs), so a linear scan of the
    # tags first: open minus closed container tags bounds the depth from above on well-formed pages
    # (most pages stop here), and 10x the limit leaves room for pages that never close their tags.
    depth = peak = 0
    for m in _TAG.finditer(html):
        name = m.group(2).lower()
        if name in _UNCLOSED or m.group(3):  # no end tag expected, or self-closing
            continue
        depth += -1 if m.group(1) else 1
        peak = max(peak, depth)
    if peak <= max_depth:
        return
    if peak > 10 * max_depth:
        raise PathologicalHTML(f"HTML nested about {peak:,} elements deep (limit {max_depth})")
    root = HTMLTree.parse(html).document
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise PathologicalHTML(f"HTML nested more than {max_depth} elements deep")
        child = node.first_child
        while child is not None:
            stack.append((child, depth + 1))
            child = child.next


def _resiliparse_main(html: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=True)


def page_text(html: str) -> list[str]:
    from resiliparse.extract.html2text import extract_plain_text

    text = extract_plain_text(html, main_content=False, list_bullets=False, alt_texts=False, links=False)
    return [line.strip() for line in text.splitlines() if line.strip()]


def main_paragraphs(html: str, extractor: str = "trafilatura") -> list[str]:
    if extractor == "resiliparse":
        text = _resiliparse_main(html)
    elif extractor == "trafilatura":
        import trafilatura

        text = trafilatura.extract(html, include_comments=False, favor_precision=True) or ""
        if len(text) < 0.5 * len(_resiliparse_main(html)):
            text = trafilatura.extract(html, include_comments=False) or text
    else:
        raise ValueError(f"unknown HTML extractor {extractor!r}; choose one of {list(EXTRACTORS)}")
    return [p.strip() for p in text.splitlines() if p.strip()]
