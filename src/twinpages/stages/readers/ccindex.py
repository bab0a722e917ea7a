"""CommonCrawl's columnar index as an input: read only the WARC records whose languages are mined.

`--input-format cc-index` reads each input (a Parquet file of the index, local or remote; a folder or
prefix of them) as a list of records: every row whose ``content_languages`` (CommonCrawl's language ID,
ISO 639-3, comma-separated, likeliest first) names one of ``--cc-languages`` (default: the languages of
``-l``) is fetched by byte range from ``--cc-warc-base`` + ``warc_filename`` (a gzip member holding one
WARC record) and read as the WARC reader reads a record. A snapshot's en–de pages are then a small share
of its bytes, and nothing else is downloaded.

Documents are named as reading the WARC files under the base folder names them
(``crawl-data/…/FILE.warc.gz#<urn:uuid:…>``), with the record's file, offset and length as their source.
A row whose record cannot be fetched or read is an error record naming it; a file without the index's
columns is one error for the file.
Splittable like an archive: a task reads every ``parts``-th block of the selected rows. Records are fetched
FETCH_AHEAD at a time, concurrently where the store allows (fsspec's ``cat_ranges``): a store's latency
is paid once a group, not once a record.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from ...data import DocError, Document
from ..langid import language_tag
from .errors import ReadError
from .options import ReadConfig
from .remote import filesystem, is_url

COLUMNS = ("url", "warc_filename", "warc_record_offset", "warc_record_length", "content_languages")
BATCH_ROWS = 4096
FETCH_AHEAD = 64  # records fetched at once


def read_file(path: Path, doc_id: str, config: ReadConfig,
              keep: Callable[[int], bool] | None = None) -> Iterator[Document | DocError]:
    """The selected records' documents; with ``keep``, only selected rows whose 0-based number it accepts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    wanted = {language_tag(x) for x in config.cc_languages}
    selected = 0
    rows: list[dict] = []
    try:
        with pq.ParquetFile(path) as f:
            missing = [c for c in COLUMNS if c not in f.schema_arrow.names]
            if missing:
                raise ReadError("malformed_cc_index", f"not CommonCrawl's columnar index: no column "
                                                      f"{', '.join(missing)}")
            for batch in f.iter_batches(batch_size=BATCH_ROWS, columns=list(COLUMNS)):
                for row in batch.to_pylist():
                    if wanted and not wanted & languages(row["content_languages"]):
                        continue
                    selected += 1
                    if keep is None or keep(selected - 1):
                        rows.append(row)
                    if len(rows) == FETCH_AHEAD:
                        yield from records(rows, config)
                        rows = []
    except (pa.ArrowException, OSError) as e:
        raise ReadError("malformed_cc_index", f"not a readable Parquet file ({e})") from None
    yield from records(rows, config)


def records(rows: list[dict], config: ReadConfig) -> Iterator[Document | DocError]:
    """The rows' documents, their records fetched together (those over --max-bytes not at all)."""
    fits = [int(row["warc_record_length"]) <= config.max_bytes for row in rows]
    wanted = [(location(row, config), int(row["warc_record_offset"]), int(row["warc_record_length"]))
              for row, ok in zip(rows, fits, strict=True) if ok]
    fetched = iter(fetch_ranges(wanted))
    for row, ok in zip(rows, fits, strict=True):
        yield record(row, config, next(fetched) if ok else None)


def location(row: dict, config: ReadConfig) -> str:
    return config.cc_warc_base.rstrip("/") + "/" + row["warc_filename"].lstrip("/")


def languages(content_languages: str | None) -> set[str]:
    return {language_tag(x) for x in (content_languages or "").split(",") if x.strip()}


def record(row: dict, config: ReadConfig, data: bytes | Exception | None = None) -> Document | DocError:
    """The document of one index row's WARC record: ``data`` as fetched (or the error fetching it), else
    fetched here by its byte range."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    from .warc import record_document

    name = PurePosixPath(row["warc_filename"]).name
    offset, length = int(row["warc_record_offset"]), int(row["warc_record_length"])
    source = f"{row['warc_filename']}:{offset}+{length}"
    where = f"{name}@{offset}"
    try:
        if length > config.max_bytes:
            raise ReadError("too_large", f"record over {config.max_bytes:,} bytes (--max-bytes)")
        if data is None:
            data = fetch_range(location(row, config), offset, length)
        if isinstance(data, Exception):
            raise data
        if len(data) < length:
            raise ReadError("truncated_warc", f"fetched {len(data):,} of the record's {length:,} bytes")
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise ReadError("malformed_warc", f"the index's byte range is not a gzip member ({e})") from None
        pages = WarcRecordType.response | WarcRecordType.resource | WarcRecordType.conversion
        for rec in ArchiveIterator(io.BytesIO(data), record_types=pages, parse_http=False):
            return record_document(rec, f"{row['warc_filename']}#{rec.record_id}", source, row["url"], config)
        raise ReadError("no_documents", "the index's byte range holds no response record")
    except ReadError as e:
        return DocError(where, source, "read", e.kind, str(e))
    except FileNotFoundError:
        return DocError(where, source, "read", "not_found", "the index names a WARC file its store does not have")
    except (OSError, ValueError) as e:
        return DocError(where, source, "read", "unreadable", f"could not fetch the record: {e}")


def fetch_ranges(wanted: list[tuple[str, int, int]]) -> list[bytes | Exception]:
    """(location, offset, length) ranges, fetched concurrently from a store (in order; a range that cannot
    be fetched is its exception), one by one from local files."""
    if not wanted or not is_url(wanted[0][0]):
        out: list[bytes | Exception] = []
        for loc, offset, length in wanted:
            try:
                out.append(fetch_range(loc, offset, length))
            except OSError as e:
                out.append(e)
        return out
    fs, _ = filesystem(wanted[0][0])
    paths = [fs._strip_protocol(loc) for loc, _, _ in wanted]
    return fs.cat_ranges(paths, [o for _, o, _ in wanted], [o + n for _, o, n in wanted], on_error="return")


def fetch_range(location: str, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset`` of a local file or a URL (one ranged request)."""
    if is_url(location):
        fs, path = filesystem(location)
        return fs.cat_file(path, start=offset, end=offset + length)
    with open(location, "rb") as f:
        f.seek(offset)
        return f.read(length)
