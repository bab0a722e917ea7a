"""Parquet: one document per row, its fields found as in JSONL (fields.py: ``text``/``html``, ``id``,
``url``, ``lang``, nested ``metadata`` structs, or the ``--*-key`` settings). HPLT and datatrove publish
Parquet beside JSONL, and Hugging Face datasets are Parquet.

Read a batch of rows at a time (bounded memory whatever the file's size); the size limit applies to each
row's text. A row that is not a document becomes a DocError naming the file and row (1-based, as JSONL
names lines); a file that is not Parquet, or damaged past some row, is an error for the file, the rows
before the damage kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from ...data import DocError, Document
from .errors import ReadError
from .fields import keys_of, record_document
from .files import shown
from .options import ReadConfig

BATCH_ROWS = 256


def read_file(path: Path, doc_id: str, config: ReadConfig,
              keep: Callable[[int], bool] | None = None) -> Iterator[Document | DocError]:
    """The file's documents; with ``keep``, only rows whose 0-based number it accepts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    keys = keys_of(config)
    rows = 0
    try:
        with pq.ParquetFile(path) as f:
            for batch in f.iter_batches(batch_size=BATCH_ROWS):
                wanted = [i for i in range(batch.num_rows) if keep is None or keep(rows + i)]
                if wanted:
                    records = batch.take(pa.array(wanted, pa.int64())).to_pylist()
                    for i, rec in zip(wanted, records, strict=True):
                        yield _row(rec, path, doc_id, rows + i + 1, keys, config)
                rows += batch.num_rows
    except (pa.ArrowException, OSError) as e:
        if rows == 0:
            raise ReadError("malformed_parquet", f"not a readable Parquet file ({e})") from None
        raise ReadError("malformed_parquet", f"damaged after row {rows} ({e})") from None
    if rows == 0 and (keep is None or keep(0)):
        raise ReadError("empty", "no rows")


def _row(rec: dict, path: Path, doc_id: str, k: int, keys: dict, config: ReadConfig) -> Document | DocError:
    where, source = f"{doc_id}:{k}", f"{shown(path)}:{k}"
    try:
        return record_document(rec, keys, where, source, kind="malformed_parquet", max_bytes=config.max_bytes)
    except ReadError as e:
        return DocError(where, source, "read", e.kind, f"row {k}: {e}")
