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
Splittable like an archive: a task reads every ``parts``-th block of the selected rows.
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


def read_file(path: Path, doc_id: str, config: ReadConfig,
              keep: Callable[[int], bool] | None = None) -> Iterator[Document | DocError]:
    """The selected records' documents; with ``keep``, only selected rows whose 0-based number it accepts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    wanted = {language_tag(x) for x in config.cc_languages}
    selected = 0
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
                        yield record(row, config)
    except (pa.ArrowException, OSError) as e:
        raise ReadError("malformed_cc_index", f"not a readable Parquet file ({e})") from None


def languages(content_languages: str | None) -> set[str]:
    return {language_tag(x) for x in (content_languages or "").split(",") if x.strip()}


def record(row: dict, config: ReadConfig) -> Document | DocError:
    """The document of one index row's WARC record, fetched by its byte range."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    from .warc import record_document

    name = PurePosixPath(row["warc_filename"]).name
    offset, length = int(row["warc_record_offset"]), int(row["warc_record_length"])
    source = f"{row['warc_filename']}:{offset}+{length}"
    where = f"{name}@{offset}"
    try:
        if length > config.max_bytes:
            raise ReadError("too_large", f"record over {config.max_bytes:,} bytes (--max-bytes)")
        data = fetch_range(config.cc_warc_base.rstrip("/") + "/" + row["warc_filename"].lstrip("/"), offset, length)
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


def fetch_range(location: str, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset`` of a local file or a URL (one ranged request)."""
    if is_url(location):
        fs, path = filesystem(location)
        return fs.cat_file(path, start=offset, end=offset + length)
    with open(location, "rb") as f:
        f.seek(offset)
        return f.read(length)
