"""A document's dates: when it was crawled (what its record says: WARC-Date, a JSONL or Parquet ``date``)
and when it was published (htmldate, which comes with trafilatura: from the page's markup, else from its
URL), each as ISO 8601 or None, and where the publication date came from.

A page's date is often wrong (a template's copyright year, an "updated" date, a URL's archive folder):
the dates are evidence a person reads (docpairs, the report's "published N days after"), not an input of
the direction verdict. Reproducible: htmldate rejects dates after its ``max_date``, which is the crawl
date where known (a page is not published after it was fetched), else a fixed far date, never today's.
"""

from __future__ import annotations

from datetime import UTC, datetime

LATEST = datetime(2100, 1, 1)


def crawl_date(value) -> str | None:
    """A record's date as ISO 8601 in UTC (``2024-02-20T10:00:00Z``; a date alone stays a date); None where
    it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if len(text) == 14 and text.isdigit():  # WARC/ARC 1.0 and CDX timestamps: 20240220100000
        text = f"{text[:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:]}Z"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) == 10:  # a date without a time
        return when.date().isoformat()
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds") + "Z"


def publication_date(html: str | None, url: str | None, crawled: str | None) -> tuple[str | None, str | None]:
    """(YYYY-MM-DD, "html" or "url") of the page's publication, or (None, None): from the markup first (meta
    tags, structured data, the article's own date), else from a date in the URL."""
    from htmldate import find_date

    latest = LATEST
    if crawled:
        latest = datetime.fromisoformat(crawled.removesuffix("Z")).replace(tzinfo=None)
    options = dict(original_date=True, extensive_search=False, max_date=latest)
    if html:
        try:
            found = find_date(html, **options)
        except (ValueError, TypeError):  # a page lxml cannot parse, a date it cannot compare
            found = None
        if found:
            return found, "html"
    if url:
        found = find_date("<html></html>", url=url, **options)
        if found:
            return found, "url"
    return None, None


def days_between(earlier: str | None, later: str | None) -> int | None:
    """Whole days from one ISO date (or date-time) to another; None unless both are known."""
    if not earlier or not later:
        return None
    return (datetime.fromisoformat(later[:10]) - datetime.fromisoformat(earlier[:10])).days
