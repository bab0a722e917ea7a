"""Inputs in object storage and on the web, through fsspec: an S3-compatible server (moto) and an HTTP
server, each started by the test on 127.0.0.1; path lists joined to a base URL."""

import gzip
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from twinpages.data import DocError, Document
from twinpages.stages.readers import read
from twinpages.stages.readers.remote import paths_file

EXAMPLES = Path(__file__).parents[3] / "examples" / "seeds"
JSONL = b'{"id": "a", "text": "Ein erster Text."}\n{"id": "b", "text": "A second text.", "url": "https://x/b"}\n'


@pytest.fixture
def web(tmp_path):
    """A folder served over HTTP on 127.0.0.1, with directory listings (as a static file server makes them)."""
    root = tmp_path / "www"
    (root / "crawl" / "sub").mkdir(parents=True)
    (root / "crawl" / "docs.jsonl").write_bytes(JSONL)
    (root / "crawl" / "sub" / "page.html.gz").write_bytes(gzip.compress(
        b"<!doctype html><html><body><article><p>Ein Artikel mit Text.</p></article></body></html>"))
    (root / "crawl" / "notes.md").write_text("not an input", encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_files_and_folders_over_http(web):
    docs = list(read([f"{web}/crawl/docs.jsonl"]))
    assert [(d.id, d.source) for d in docs] == [("a", f"{web}/crawl/docs.jsonl:1"), ("b", f"{web}/crawl/docs.jsonl:2")]
    # a folder URL: the files whose names give a format, sorted, ids relative to the folder
    found = [d for d in read([f"{web}/crawl/"]) if isinstance(d, Document)]
    assert [d.id for d in found] == ["a", "b", "sub/page.html.gz"] and "Ein Artikel" in found[2].html
    # a file its server does not have: one named error, the other inputs read
    out = list(read([f"{web}/crawl/missing.jsonl", f"{web}/crawl/docs.jsonl"]))
    assert isinstance(out[0], DocError) and out[0].error in ("not_found", "unreadable")
    assert out[0].source == f"{web}/crawl/missing.jsonl" and [d.id for d in out[1:]] == ["a", "b"]


def test_a_path_list_joined_to_a_base_url(web, tmp_path):
    listing = b"# CommonCrawl's form: relative paths\ncrawl/docs.jsonl\n\n"
    (tmp_path / "warc.paths.gz").write_bytes(gzip.compress(listing))
    inputs = paths_file(tmp_path / "warc.paths.gz", web + "/")
    assert inputs == [f"{web}/crawl/docs.jsonl"]
    assert [d.id for d in read(inputs)] == ["a", "b"]
    (tmp_path / "empty.paths").write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ValueError, match="names no input"):
        paths_file(tmp_path / "empty.paths")


def test_inputs_in_s3(s3):
    s3.put_object(Bucket="crawl", Key="2024/docs.jsonl.gz", Body=gzip.compress(JSONL))
    s3.put_object(Bucket="crawl", Key="2024/readme.md", Body=b"not an input")
    assert [(d.id, d.source) for d in read(["s3://crawl/2024/"])] == [
        ("a", "s3://crawl/2024/docs.jsonl.gz:1"), ("b", "s3://crawl/2024/docs.jsonl.gz:2")]
    (err,) = read(["s3://crawl/2024/gone.jsonl"])
    assert isinstance(err, DocError) and err.error == "not_found" and err.source == "s3://crawl/2024/gone.jsonl"


@pytest.mark.skipif(not EXAMPLES.exists(), reason="the bundled example is missing")
def test_a_run_from_s3_writes_what_a_local_run_writes(s3, tmp_path):
    from twinpages import mine

    for f in sorted(EXAMPLES.iterdir()):
        s3.put_object(Bucket="crawl", Key=f"seeds/{f.name}", Body=f.read_bytes())
    local = tmp_path / "seeds"
    shutil.copytree(EXAMPLES, local)
    mine(["s3://crawl/seeds/"], tmp_path / "remote-run")
    mine([local], tmp_path / "local-run")
    # the same bytes, but for where each document was read from (a page without a URL is named by its location)
    for name in ("docpairs.jsonl", "alignments.jsonl", "bitext/en-de.tsv", "bitext/en-de.jsonl"):
        remote, here = ((tmp_path / run / name).read_text(encoding="utf-8") for run in ("remote-run", "local-run"))
        assert remote == here.replace(str(local), "s3://crawl/seeds"), name


def test_the_cli_reads_a_path_list(web, tmp_path, capsys):
    from twinpages.cli import main

    (tmp_path / "paths.txt").write_text("crawl/docs.jsonl\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["extract", "--paths-file", str(tmp_path / "paths.txt"), "--base-url", web, "-o", str(out),
                 "--extract", "none", "-q"]) == 0
    rows = (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    assert [r.split('"id": "')[1].split('"')[0] for r in rows] == ["a", "b"]
    assert main(["extract", "-o", str(tmp_path / "none"), "-q"]) != 0
    assert "no input" in capsys.readouterr().err


def input_forms(folder: Path) -> dict[str, bytes]:
    """One file of each input form a crawl user keeps in object storage."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq
    from test_readers import wet_record  # this folder is on the path (pytest prepends it)

    from twinpages.stages.readers.files import _zstd

    text = "Der Ausschuss hat am Dienstag den Haushalt gebilligt.\nDie Opposition stimmte dagegen."
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": [text, "A second page."], "url": ["https://p/1", "https://p/2"]}),
                   folder / "pages.parquet")
    return {
        "CC-MAIN-x.warc.wet.gz": gzip.compress(wet_record("https://a.example/de/1", text)),
        "docs.jsonl.zst": _zstd().compress(JSONL),
        "pages.parquet": (folder / "pages.parquet").read_bytes(),
        "warc2text.jsonl": json.dumps({"u": "https://w.example/x", "l": "de", "p": text}).encode() + b"\n",
        "datatrove.jsonl": json.dumps({"id": "d1", "text": text, "metadata": {"url": "https://d.example/y",
                                                                              "language": "de"}}).encode() + b"\n",
    }


def test_every_input_form_reads_the_same_from_s3_as_from_disk(s3, tmp_path):
    forms = input_forms(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    for name, data in forms.items():
        (local / name).write_bytes(data)
        s3.put_object(Bucket="crawl", Key=f"forms/{name}", Body=data)
    (tmp_path / "paths.txt").write_text("".join(f"forms/{n}\n" for n in sorted(forms)), encoding="utf-8")

    def seen(docs, base: str) -> list[tuple]:
        return [(d.id, d.url, d.lang, d.raw, d.source.replace(base, "BASE")) for d in docs]

    on_disk = seen(read([local]), str(local))
    assert len(on_disk) == 7 and all(isinstance(d, Document) for d in read([local]))
    assert seen(read(["s3://crawl/forms/"]), "s3://crawl/forms") == on_disk  # a prefix
    listed = paths_file(tmp_path / "paths.txt", "s3://crawl/")  # a path list joined to a base URL
    assert seen(read(listed), "s3://crawl/forms") == on_disk
