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
from collections import Counter

EXTRACTORS = ("trafilatura", "resiliparse")
MAX_DEPTH = 512  # browsers stop nesting elements here too (Chromium's HTML tree builder)
MAX_ELEMENTS = 100_000  # see check_complexity; ExtractConfig.max_html_elements sets it per run


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>")
# void elements, and elements whose end tag pages usually leave out
_UNCLOSED = frozenset("area base br col embed hr img input link meta param source track wbr p li td th tr "
                      "option dd dt".split())
_FOREIGN = frozenset(("svg", "math"))  # where "/>" closes an element


class PathologicalHTML(ValueError):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # html_too_deep, html_too_complex: the error type in errors.jsonl


def check_complexity(html: str, max_depth: int = MAX_DEPTH, max_elements: int = MAX_ELEMENTS) -> None:
    """Refuse pages whose parse would cost far more than their size: nested deeper than ``max_depth``
    elements (the extractors' time grows with the square of the depth: 100,000 nested divs take minutes,
    and no real page nests that deep), or with more than ``max_elements`` elements (each costs about a
    kilobyte in the extractors' trees: a million spans in 14 MB took 1.3 GB).

    A linear scan of the tags first, keeping the stack of open elements the way a browser does: an end
    tag closes up to its open element and is ignored when none is open (``<div></x>`` nests), and ``/>``
    closes only in SVG and MathML (``<div/>`` nests). Tags the scan cannot tell from script text make it
    count high, so between the limit and ten times it the page is parsed (lexbor: fast at moderate
    depth) and the depth counted exactly."""
    from resiliparse.parse.html import HTMLTree

    stack: list[str] = []
    open_count: Counter = Counter()
    foreign = elements = peak = 0
    for m in _TAG.finditer(html):
        name = m.group(2).lower()
        if m.group(1):  # an end tag
            if open_count[name]:
                while stack:
                    top = stack.pop()
                    open_count[top] -= 1
                    foreign -= top in _FOREIGN
                    if top == name:
                        break
            continue
        elements += 1
        if elements > max_elements:
            raise PathologicalHTML("html_too_complex", f"HTML with over {max_elements:,} elements "
                                   "(--max-html-elements)")
        if name in _UNCLOSED or (m.group(3) and (foreign or name in _FOREIGN)):
            continue
        stack.append(name)
        open_count[name] += 1
        foreign += name in _FOREIGN
        if len(stack) > peak:
            peak = len(stack)
            if peak > 10 * max_depth:
                raise PathologicalHTML("html_too_deep", f"HTML nested over {peak:,} elements deep "
                                       f"(limit {max_depth})")
    if peak <= max_depth:
        return
    root = HTMLTree.parse(html).document
    walk = [(root, 0)]
    while walk:
        node, depth = walk.pop()
        if depth > max_depth:
            raise PathologicalHTML("html_too_deep", f"HTML nested more than {max_depth} elements deep")
        child = node.first_child
        while child is not None:
            walk.append((child, depth + 1))
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
