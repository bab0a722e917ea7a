"""URLs as the same page: what a site's hreflang and canonical links are compared by."""

from __future__ import annotations

import hashlib
from urllib.parse import urljoin, urlsplit


def normalise_url(url: str, base: str | None = None) -> str | None:
    """``host/path?query`` with the host lower-cased and without ``www.``, the fragment and a trailing
    slash dropped, the scheme ignored (http and https versions of a page are one page); relative URLs
    resolved against ``base``. None for what is not an http(s) URL."""
    try:
        parts = urlsplit(urljoin(base, url) if base else url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def url_hash(url: str) -> int:
    return int.from_bytes(hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def names_each_other(a, b) -> bool:
    """Whether one of two documents names the other as a language version of itself."""
    ua, ub = (normalise_url(d.url) if d.url else None for d in (a, b))
    return bool((ub and ub in a.alternates) or (ua and ua in b.alternates))
