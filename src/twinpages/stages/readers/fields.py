"""Which field of a record (JSONL, Parquet) holds what: the text or the HTML, the id, the URL, the language.

Without settings the records of the pipelines that crawl-scale users run are read as they are:

- twinpages' own and most JSONL: ``{"id", "url", "lang", "text" | "html"}``;
- warc2text (Bitextor, HPLT's extraction): ``{"u": url, "l": lang, "p": text, "f", "o", "s", "ts", ...}``;
- datatrove: ``{"id", "text", "metadata": {"url", "language", ...}}``;
- HPLT v1/v2: ``{"id", "url" | "u", "text", "document_lang" | "lang": ["eng_Latn", ...], "ts"}``.

The ``date`` role is when the document was crawled (warc2text's and HPLT's ``ts``, datatrove's
``metadata.date``).

Each role is looked for under the names below, in order, the first present wins. ``--text-key`` and its
siblings name one field instead (a dotted path reaches into nested objects: ``metadata.url``); a record
without a named field is an error for that record, naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...data import Document
from ..dates import crawl_date
from ..langid import language_tag
from .decoding import replace_surrogates
from .errors import ReadError
from .html import html_document

# role -> names tried in order when no key is set
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("text", "p"),
    "html": ("html",),
    "id": ("id",),
    "url": ("url", "u", "metadata.url"),
    "lang": ("lang", "l", "language", "metadata.language", "document_lang"),
    "date": ("date", "ts", "metadata.date"),  # when it was crawled: warc2text's and HPLT's ts, datatrove's date
}


@dataclass(frozen=True, slots=True)
class RecordFields:
    """What a record says, each value checked (None where the record does not say it)."""

    id: str | None
    url: str | None
    lang: str | None  # as language_tag reads it
    date: str | None  # as the record has it (dates.crawl_date reads it)
    text: str | None
    html: str | None
    warnings: list[tuple[str, str]]


def lookup(rec: dict, path: str):
    """``rec[path]``, or the nested field a dotted path names (``metadata.url``); None where absent."""
    if path in rec:
        return rec[path]
    value = rec
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def record_fields(rec: dict, keys: dict[str, str | None], kind: str = "malformed_jsonl") -> RecordFields:
    """The record's fields by role; ``keys``: the configured field of each role (None: DEFAULT_KEYS).
    ``kind``: the error type of a record that is not one (README: error types)."""
    values, names, warnings = {}, {}, []
    for role, default in DEFAULT_KEYS.items():
        key = keys.get(role)
        names[role] = key or default[0]
        candidates = (key,) if key else default
        value = None
        for name in candidates:
            value = lookup(rec, name)
            if value is not None:
                names[role] = name
                break
        values[role] = value
    if isinstance(values["lang"], list):  # HPLT v2: the languages, likeliest first
        values["lang"] = values["lang"][0] if values["lang"] else None
    for role in ("url", "lang", "text", "html", "date"):
        if values[role] is not None and not isinstance(values[role], str):
            raise ReadError(kind, f"'{names[role]}' must be a string, not {type(values[role]).__name__}")
    if values["id"] is not None and not isinstance(values["id"], str | int):
        raise ReadError(kind, f"'{names['id']}' must be a string or a number, not "
                                           f"{type(values['id']).__name__}")
    for role in ("id", "url", "lang", "text", "html"):  # JSON escapes can hold lone surrogates
        if isinstance(values[role], str):
            values[role], n = replace_surrogates(values[role])
            if n:
                warnings.append(("decode_repaired", f"'{names[role]}' held {n} lone surrogate escape(s) (not "
                                                    "Unicode text); replaced by U+FFFD"))
    if values["text"] is None and values["html"] is None:
        named = [k for k in (keys.get("text"), keys.get("html")) if k]
        wanted = " or ".join(f"'{k}'" for k in named) if named else "'text' or 'html' (or warc2text's 'p')"
        raise ReadError(kind, f"no {wanted} string")
    rid = values["id"]
    return RecordFields(None if rid in (None, "") else str(rid), values["url"],
                        language_tag(values["lang"]) if values["lang"] else None, values["date"], values["text"],
                        values["html"], warnings)


def keys_of(config) -> dict[str, str | None]:
    """The configured field of each role (ReadConfig's ``*_key`` settings)."""
    return {role: getattr(config, f"{role}_key") for role in DEFAULT_KEYS}


def record_document(rec: dict, keys: dict[str, str | None], default_id: str, source: str,
                    kind: str = "malformed_jsonl", max_bytes: int | None = None) -> Document:
    """The document a record holds (its HTML when it has both): ``default_id`` where it has no id.
    ``max_bytes``: the limit on its text or HTML, in UTF-8 bytes (a JSONL line is limited as a whole)."""
    fields = record_fields(rec, keys, kind)
    rid = fields.id or default_id
    body = fields.html if fields.html is not None else fields.text
    if max_bytes is not None and len(body) > max_bytes // 4 and len(body.encode("utf-8", "replace")) > max_bytes:
        raise ReadError("too_large", f"over {max_bytes:,} bytes (--max-bytes)")
    if fields.html is not None:
        doc = html_document(rid, source, fields.html.encode("utf-8"), url=fields.url)
    else:
        if not fields.text.strip():
            raise ReadError("empty", "no text")
        doc = Document(id=rid, raw=fields.text, source=source, url=fields.url)
    if fields.lang:
        doc.lang = fields.lang
    doc.warnings[:0] = fields.warnings
    if fields.date is not None:
        doc.crawled = crawl_date(fields.date)
        if doc.crawled is None:
            doc.warnings.append(("bad_date", f"the record's date {fields.date[:40]!r} is not an ISO 8601 date; "
                                             "read as unknown"))
    return doc
