"""HTML main-content extraction backends; each returns the main text as a list of paragraphs.

- ``trafilatura`` (default): trafilatura in its precision mode, falling back to its default mode on
  the pages where precision mode kept less than half of what resiliparse's main-content pass finds
  (precision mode sometimes prunes a whole article body). Measured in BENCHMARKS.md.
- ``resiliparse``: resiliparse's main-content text, about ten times faster, for very large crawls.

``page_text`` gives the whole page as text lines (resiliparse, no main-content filter): the report
shows what extraction removed, and the line-dump benchmark is built from it.
"""

from __future__ import annotations

EXTRACTORS = ("trafilatura", "resiliparse")


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
