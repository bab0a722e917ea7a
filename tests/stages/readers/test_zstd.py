"""zstd inputs (``.zst``, or zstd bytes under any name) read as `zstd -d` reads them: every frame, the
records before a cut kept and the cut reported, output bounded, trailing bytes a warning."""

import json
import tracemalloc
from pathlib import Path

from test_readers import PAGE, warc_record  # this folder is on the path (pytest prepends it)

from twinpages.data import DocError, Document
from twinpages.stages.readers import ReadConfig, read
from twinpages.stages.readers.files import Unzstd, _zstd

zstd = _zstd()


def lines(n: int) -> list[bytes]:
    return [json.dumps({"id": f"d{i}", "text": f"Document number {i}. " * 5}).encode() + b"\n" for i in range(n)]


def test_every_frame_of_a_jsonl_zst_is_read(tmp_path: Path):
    docs = lines(300)
    # three frames, as zstd -c a b c > all.zst or a writer that flushes per block makes them
    data = b"".join(zstd.compress(b"".join(docs[k:k + 100])) for k in (0, 100, 200))
    (tmp_path / "all.jsonl.zst").write_bytes(data)
    out = list(read([tmp_path / "all.jsonl.zst"]))
    assert [d.id for d in out] == [f"d{i}" for i in range(300)] and all(isinstance(d, Document) for d in out)


def test_a_cut_zstd_file_keeps_the_records_before_the_cut(tmp_path: Path):
    data = zstd.compress(b"".join(lines(20_000)))  # many blocks: zstd gives a block out once it is whole
    (tmp_path / "cut.jsonl.zst").write_bytes(data[: len(data) // 2])
    out = list(read([tmp_path / "cut.jsonl.zst"]))
    kept = [o for o in out if isinstance(o, Document)]
    assert 0 < len(kept) < 20_000 and [d.id for d in kept] == [f"d{i}" for i in range(len(kept))]
    assert isinstance(out[-1], DocError) and out[-1].error == "truncated_zstd" and out[-1].doc_id == "cut.jsonl.zst"
    # damaged in the middle rather than cut: an error as well, never silent loss
    broken = bytearray(data)
    broken[len(data) // 2: len(data) // 2 + 64] = b"\xff" * 64
    (tmp_path / "broken.jsonl.zst").write_bytes(bytes(broken))
    out = list(read([tmp_path / "broken.jsonl.zst"]))
    assert isinstance(out[-1], DocError) and out[-1].error == "truncated_zstd"


def test_a_zstd_bomb_is_bounded(tmp_path: Path):
    """About 10 KB of zstd that expands to 500 MB: refused at the size limit, without holding it in memory."""
    frame = zstd.compress(b"y" * 50_000_000, level=19)
    (tmp_path / "bomb.txt.zst").write_bytes(frame * 10)
    assert (tmp_path / "bomb.txt.zst").stat().st_size < 50_000
    tracemalloc.start()
    (err,) = read([tmp_path / "bomb.txt.zst"], ReadConfig(max_bytes=1_000_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert isinstance(err, DocError) and err.error == "too_large"
    assert peak < 20_000_000


def test_trailing_bytes_after_the_last_frame_are_a_warning(tmp_path: Path):
    (tmp_path / "docs.jsonl.zst").write_bytes(zstd.compress(b"".join(lines(3))) + b"\x00" * 512)
    out = list(read([tmp_path / "docs.jsonl.zst"]))
    assert [d.id for d in out if isinstance(d, Document)] == ["d0", "d1", "d2"]
    (warning,) = [o for o in out if isinstance(o, DocError)]
    assert warning.error == "trailing_garbage" and warning.severity == "warning" and "zstd" in warning.message


def test_zstd_pages_and_archives_by_name_or_by_bytes(tmp_path: Path):
    page = PAGE.format(cs="utf-8", body="Grüße aus Köln.").encode()
    (tmp_path / "p.html.zst").write_bytes(zstd.compress(page))
    (tmp_path / "page-without-suffix").write_bytes(zstd.compress(page))
    (tmp_path / "crawl.warc.zst").write_bytes(zstd.compress(warc_record("https://a.example/1", page)) +
                                              zstd.compress(warc_record("https://a.example/2", page)))
    docs = {d.id: d for d in read([tmp_path])}
    assert "Grüße aus Köln" in docs["p.html.zst"].html and "Grüße aus Köln" in docs["page-without-suffix"].html
    assert sorted(d.url for d in docs.values() if d.url) == ["https://a.example/1", "https://a.example/2"]


def test_skippable_frames_are_passed_over(tmp_path: Path):
    skippable = bytes([0x50, 0x2A, 0x4D, 0x18]) + (8).to_bytes(4, "little") + b"metadata"
    data = skippable + zstd.compress(b"".join(lines(2))) + skippable + zstd.compress(b"".join(lines(3)[2:]))
    with open(tmp_path / "x", "wb") as f:
        f.write(data)
    with open(tmp_path / "x", "rb") as f:
        assert Unzstd(f).readall() == b"".join(lines(3))
