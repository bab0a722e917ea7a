from pathlib import Path

from twinpages.data import DocError, Document
from twinpages.stages.read import ReadConfig, list_files, read


def test_directory_is_read_recursively_in_sorted_order(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Zweiter Text.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("First text.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not a line dump", encoding="utf-8")
    docs = list(read([tmp_path]))
    assert [d.id for d in docs] == ["a.txt", "b/z.txt"]
    assert all(isinstance(d, Document) for d in docs)
    assert docs[1].raw == "Zweiter Text."


def test_same_name_under_two_inputs_keeps_both(tmp_path: Path):
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "page.txt").write_text(sub, encoding="utf-8")
    ids = [doc_id for _, doc_id in list_files([tmp_path / "x", tmp_path / "y"])]
    assert ids == ["page.txt", "page.txt#1"]


def test_utf8_bom_is_dropped(tmp_path: Path):
    (tmp_path / "bom.txt").write_bytes("\ufeffHallo Welt.".encode())
    (doc,) = read([tmp_path / "bom.txt"])
    assert doc.raw == "Hallo Welt."


def test_bad_inputs_become_named_errors(tmp_path: Path):
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "latin1.txt").write_bytes("Gr\xfc\xdfe".encode("latin-1"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "big.txt").write_text("x" * 2000, encoding="utf-8")
    results = {r.doc_id: r for r in read([tmp_path], ReadConfig(max_bytes=1000))}
    assert all(isinstance(r, DocError) for r in results.values())
    assert {k: r.error for k, r in results.items()} == {
        "big.txt": "too_large", "binary.txt": "unreadable", "empty.txt": "empty", "latin1.txt": "decode"}
    assert "byte 2" in results["latin1.txt"].message
    assert results["big.txt"].source.endswith("big.txt")


def test_missing_file_is_an_error_not_a_crash(tmp_path: Path):
    (err,) = read([tmp_path / "missing.txt"])
    assert isinstance(err, DocError) and err.error == "not_found"
