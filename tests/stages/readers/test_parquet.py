"""Parquet inputs: a row per document, fields as in JSONL (nested structs too), split among tasks like
an archive, and every bad row or file a named error."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from twinpages.data import Document
from twinpages.stages.readers import ReadConfig, read, read_path


def datatrove_table(n: int) -> pa.Table:
    return pa.table({"id": [f"r{i}" for i in range(n)], "text": [f"Zeile {i}. Ein kurzer Text." for i in range(n)],
                     "metadata": [{"url": f"https://a.example/{i}", "language": "de"} for i in range(n)]})


def test_rows_are_documents_with_nested_fields(tmp_path: Path):
    pq.write_table(datatrove_table(600), tmp_path / "part-0.parquet", row_group_size=100)
    docs = list(read([tmp_path]))
    assert [d.id for d in docs] == [f"r{i}" for i in range(600)]
    assert docs[7].url == "https://a.example/7" and docs[7].lang == "de"
    assert docs[7].source.endswith("part-0.parquet:8")


def test_a_file_split_among_tasks_is_read_once(tmp_path: Path):
    pq.write_table(datatrove_table(1000), tmp_path / "big.parquet", row_group_size=300)
    parts = [[d.id for d in read_path(tmp_path / "big.parquet", "big.parquet", ReadConfig(), part, 3)]
             for part in range(3)]
    assert all(parts) and sorted(sum(parts, [])) == sorted(f"r{i}" for i in range(1000))


def test_bad_rows_and_files_are_named_errors(tmp_path: Path):
    table = pa.table({"text": ["Ein guter Text hier.", None, "   ", "x" * 5000], "url": ["u1", "u2", "u3", "u4"]})
    pq.write_table(table, tmp_path / "rows.parquet")
    out = list(read([tmp_path / "rows.parquet"], ReadConfig(max_bytes=1000)))
    assert isinstance(out[0], Document) and out[0].id == "rows.parquet:1"
    assert [(o.doc_id, o.error) for o in out[1:]] == [
        ("rows.parquet:2", "malformed_parquet"), ("rows.parquet:3", "empty"), ("rows.parquet:4", "too_large")]
    (tmp_path / "fake.parquet").write_text("not parquet at all", encoding="utf-8")
    pq.write_table(datatrove_table(0), tmp_path / "none.parquet")
    errors = {e.doc_id: e.error for e in read([tmp_path / "fake.parquet", tmp_path / "none.parquet"])}
    assert errors == {"fake.parquet": "malformed_parquet", "none.parquet": "empty"}


def test_a_parquet_file_without_its_suffix_is_known_by_its_bytes(tmp_path: Path):
    pq.write_table(datatrove_table(3), tmp_path / "shard-00000")
    assert [d.id for d in read([tmp_path])] == ["r0", "r1", "r2"]
