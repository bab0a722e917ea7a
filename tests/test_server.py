"""`serve`: real HTTP requests to a server started in the test on a free loopback port, bad input
included, and a real browser (Debian's Chromium) that queries a page, opens a pair and follows a passage."""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, DE_SEED, EN_SEED, shared_path, sync_chromium
from test_report import HOSTILE_LINE
from twinpages import mine
from twinpages.query import RunIndex
from twinpages.server import ServeConfig, create_app, pair_id, serve, uvicorn_config


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, seed_dir):
    """The English seed (hostile markup planted in its body's neighbourhood) among DDTP en-fr documents."""
    inp = tmp_path_factory.mktemp("in")
    en = (seed_dir / EN_SEED).read_text(encoding="utf-8").splitlines()
    en.insert(94, HOSTILE_LINE)
    (inp / EN_SEED).write_text("\n".join(en) + "\n", encoding="utf-8")
    folder = shared_path("data", "docalign", "ddtp-en-fr")
    gold = [x.split("\t")[:2] for x in (folder / "gold.tsv").read_text(encoding="utf-8").splitlines()[:40]]
    wanted = {i for g in gold for i in g}
    with gzip.open(folder / "docs.jsonl.gz", "rt", encoding="utf-8") as f:
        lines = [line for line in f if json.loads(line)["id"] in wanted]
    (inp / "ddtp.jsonl").write_text("".join(lines), encoding="utf-8")
    out = tmp_path_factory.mktemp("run")
    mine([inp], out)
    return out


class Server:
    """uvicorn in a thread of the test process, on a free port of 127.0.0.1, as `twinpages serve` sets it up."""

    def __init__(self, app, config: ServeConfig = ServeConfig()):
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", self.port, config, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def index(run_dir):
    run = RunIndex(run_dir)
    run.warm()
    return run


@pytest.fixture(scope="module")
def server(run_dir, index):
    config = ServeConfig(max_body=2_000_000)
    s = Server(create_app(run_dir, config, index), config)
    yield s
    s.stop()


def request(url: str, body: bytes | None = None, content_type: str | None = None, headers: dict | None = None,
            method: str | None = None) -> tuple[int, dict | str, dict]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, raw, got = r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        status, raw, got = e.code, e.read(), dict(e.headers)
    text = raw.decode("utf-8")
    return status, json.loads(text) if got.get("content-type", "").startswith("application/json") else text, got


def test_query_over_http_finds_the_english_seed(server, seed_dir):
    german = (seed_dir / DE_SEED).read_bytes()
    status, answer, _ = request(server.url + "/query", german, "text/plain; charset=utf-8")
    assert status == 200
    first = answer["twins"][0]
    assert first["document"] == EN_SEED and first["direction"] == "en->de"
    assert (first["src_coverage"], first["tgt_coverage"]) == (pytest.approx(0.55, abs=0.03), pytest.approx(1.0))
    assert first["src_spans"] and first["tgt_spans"] and len(first["beads"]) == first["n_aligned"] == 12
    # the same document as an HTML page, and as a file upload
    page = "<html><body>" + "".join(f"<p>{line}</p>" for line in german.decode().splitlines()) + "</body></html>"
    status, as_html, _ = request(server.url + "/query", page.encode(), "text/html")
    assert status == 200 and as_html["twins"][0]["document"] == EN_SEED
    boundary = "twinpagesboundary"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{DE_SEED}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + german + f"\r\n--{boundary}--\r\n".encode()
    status, uploaded, _ = request(server.url + "/query", form, f"multipart/form-data; boundary={boundary}")
    assert status == 200 and uploaded["query"]["id"] == DE_SEED and uploaded["twins"][0]["document"] == EN_SEED


def test_pairs_are_filtered_and_paged(server, run_dir):
    status, everything, _ = request(server.url + "/pairs?limit=1000")
    assert status == 200 and everything["total"] == len(everything["pairs"]) > 10
    stored = [json.loads(x) for x in (run_dir / "docpairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(p["src_id"], p["tgt_id"]) for p in everything["pairs"]} == {(p["src_id"], p["tgt_id"]) for p in stored}
    scores = [p["score"] for p in everything["pairs"]]
    assert scores == sorted(scores, reverse=True)
    _, fr, _ = request(server.url + "/pairs?lang=fr&limit=1000")
    assert fr["total"] == sum(1 for p in stored if "fr" in (p["src_lang"], p["tgt_lang"])) and fr["total"] > 0
    _, high, _ = request(server.url + "/pairs?min_score=0.9&limit=1000")
    assert high["total"] == sum(1 for p in stored if p["score"] >= 0.9)
    _, known, _ = request(server.url + "/pairs?direction=en->de")
    assert [(p["src_id"], p["tgt_id"]) for p in known["pairs"]] == [(EN_SEED, DE_SEED)] or known["total"] == 0
    _, machine, _ = request(server.url + "/pairs?translator=machine")
    assert machine["total"] == 0  # this run records no translator verdict
    # pages: consecutive, no overlap, the same order as the whole list
    _, one, _ = request(server.url + "/pairs?offset=0&limit=5")
    _, two, _ = request(server.url + "/pairs?offset=5&limit=5")
    assert [p["id"] for p in one["pairs"] + two["pairs"]] == [p["id"] for p in everything["pairs"][:10]]
    status, bad, _ = request(server.url + "/pairs?min_score=7")
    assert status == 422 and bad["error"] == "invalid_parameter" and "min_score" in bad["message"]
    # one pair, with every bead; then its documents
    first = everything["pairs"][0]
    status, pair, _ = request(server.url + f"/pairs/{first['id']}")
    assert status == 200 and pair["id"] == pair_id(first["src_id"], first["tgt_id"]) and pair["beads"]
    status, doc, _ = request(server.url + f"/documents/{first['src_id']}")
    assert status == 200 and doc["id"] == first["src_id"] and first["id"] in doc["pairs"] and doc["main_text"]
    for path in ("/pairs/0000000000000000", "/documents/nothing-like-this"):
        status, error, _ = request(server.url + path)
        assert status == 404 and error["error"] == "not_found" and error["message"]


def test_bad_input_gets_a_json_4xx_and_the_server_keeps_serving(server):
    url = server.url + "/query"
    cases = {
        "empty": (b"", "text/plain"),
        "binary": (bytes(range(256)) * 20, "text/plain"),
        "binary html": (b"<html>\x00\x01\x02" * 500, "text/html"),
        "invalid utf-8": (b"Der Satz \xff\xfe ist kaputt. " * 20, "text/plain; charset=utf-8"),
        "deep html": (b"<html><body>" + b"<div>" * 20_000 + b"Tief verschachtelt. " * 5 + b"</body></html>",
                      "text/html"),
        "no text": (b"<html><body><script>var x = 1;</script></body></html>", "text/html"),
        "media type": (b"%PDF-1.4", "application/pdf"),
        "broken form": (b"--x\r\nnot a part", "multipart/form-data; boundary=x"),
    }
    for name, (body, ctype) in cases.items():
        status, error, _ = request(url, body, ctype, method="POST")
        assert 400 <= status < 500, (name, status, error)
        assert isinstance(error, dict) and error["error"] and error["message"], name
        assert request(server.url + "/health")[0] == 200, name
    # a page in a language the run cannot pair with (Catalan: another encoder than the run's) is no error
    catalan = ("La ciutat de Barcelona és la capital de Catalunya i té un port molt important. Els seus "
               "habitants parlen català i castellà, i cada estiu hi arriben milers de visitants.").encode()
    status, answer, _ = request(url, catalan, "text/plain")
    assert status == 200 and answer["twins"] == [], answer
    assert answer["query"]["lang"] == "ca" and answer["warnings"][0]["error"] == "unsupported_language"
    # 100 MB, declared: refused before it is read
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("POST", "/query", body=b"a" * 100_000_000, headers={"Content-Type": "text/plain"})
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed while the body was still being sent
    response = conn.getresponse()
    assert response.status == 413 and json.loads(response.read())["error"] == "too_large"
    conn.close()
    # over the limit without a length (chunked): refused once the limit is passed

    def chunks():
        for _ in range(30):
            yield b"b" * 100_000
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("POST", "/query", body=chunks(), headers={"Content-Type": "text/plain"}, encode_chunked=True)
    except (BrokenPipeError, ConnectionResetError):
        pass
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    assert request(server.url + "/health")[1]["status"] == "ok"


def test_openapi_description_and_escaped_pages(server, seed_dir):
    import re

    status, spec, _ = request(server.url + "/openapi.json")
    assert status == 200 and {"/query", "/pairs", "/pairs/{pair}", "/documents/{doc_id}"} <= set(spec["paths"])
    status, index, headers = request(server.url + "/")
    assert status == 200 and "default-src 'none'" in headers["content-security-policy"]
    assert 'action="/ui/query"' in index
    # the query form's answer, then its pair page: the English seed's planted markup is text
    boundary = "b0undary"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n").encode() + \
        (seed_dir / DE_SEED).read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, answer, _ = request(server.url + "/ui/query", form, f"multipart/form-data; boundary={boundary}")
    assert status == 200 and EN_SEED in answer
    link = re.search(r'href="(/ui/answers/[0-9a-f]+/0)"', answer).group(1)
    status, page, headers = request(server.url + link)
    assert status == 200 and "default-src 'none'" in headers["content-security-policy"]
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert request(server.url + "/ui/answers/" + "0" * 32 + "/0")[0] == 404


def test_a_token_guards_every_route(run_dir, index):
    s = Server(create_app(run_dir, ServeConfig(token="s3cret"), index))
    try:
        status, error, _ = request(s.url + "/pairs")
        assert status == 401 and error["error"] == "unauthorised"
        assert request(s.url + "/pairs", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert request(s.url + "/pairs", headers={"Authorization": "Bearer s3cret"})[0] == 200
        status, _, headers = request(s.url + "/?token=s3cret")  # a browser: the token once, then a cookie
        assert status == 200 and "twinpages_token=s3cret" in headers.get("set-cookie", "")
        assert request(s.url + "/pairs", headers={"Cookie": "twinpages_token=s3cret"})[0] == 200
    finally:
        s.stop()
    with pytest.raises(ValueError, match="needs --token"):
        serve(run_dir, host="0.0.0.0", port=9)


def test_query_page_pair_page_and_a_passage_in_a_real_browser(server, seed_dir):
    sync_playwright = sync_chromium()
    german = (seed_dir / DE_SEED).read_text(encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1100})
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server.url + "/")
        assert page.locator("section.story").count() > 1
        page.fill("#filter", "no such page anywhere")
        assert page.locator("section.story:visible").count() == 0
        page.fill("#filter", "")
        # the search box searches every story on the server (the filter box, only the page shown)
        _, listed, _ = request(server.url + "/pairs?limit=1")
        wanted = listed["pairs"][0]["tgt_url"]
        page.fill("#search", wanted)
        page.click("#search-submit")
        page.wait_for_selector("p.pager")
        assert page.locator("section.story").count() == 1 and wanted in page.locator("section.story").inner_text()
        assert "1 story matching" in page.locator("p.pager").first.inner_text()
        page.goto(server.url + "/")
        # search: the German page pasted into the form
        page.fill("#query-text", german)
        page.click("#query-submit")
        page.wait_for_selector("#twins")
        assert "Translations of the German page" in page.inner_text("h1")
        first = page.locator("#twins tbody tr").first
        assert EN_SEED in first.inner_text()
        assert "The English page is the original; the German page is its translation." in first.inner_text()
        # open the pair, then follow a passage to its counterpart
        first.locator("a:has-text('compare side by side')").click()
        page.wait_for_selector("#src-text")
        assert page.locator("#src-text mark").count() == 12 and page.locator("#tgt-text mark").count() == 12
        n = page.locator("#src-text a.num-link").count()
        assert n >= 1 and page.locator("#tgt-text a.num-link").count() == n
        page.evaluate("window.scrollTo(0, 0)")
        page.locator(f"#src-p{n} a.num-link").click()
        assert page.evaluate("location.hash") == f"#tgt-p{n}"
        target = page.locator(f"#tgt-p{n}")
        assert -2 <= target.evaluate("e => e.getBoundingClientRect().top") < page.evaluate("innerHeight")
        assert target.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
        # a pair of the run, from the stories page
        page.goto(server.url + "/")
        page.locator("a:has-text('compare side by side')").first.click()
        page.wait_for_selector("#beads", state="attached")  # inside the collapsed "every sentence" part
        assert page.url.startswith(server.url + "/ui/pairs/")
        assert dialogs == []
        browser.close()


def test_serve_command_refuses_a_folder_that_is_not_a_run(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "twinpages", "serve", str(tmp_path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "not a finished twinpages run" in done.stderr


def test_errors_are_json_of_one_shape_and_parameters_are_checked(server):
    """Issue 26 G: 404/405/422 were FastAPI's {"detail": ...}; direction=bogus gave 200 and total 0; a huge
    limit was clamped without a word; HEAD /health was 405; the address /pairs shows did not find its document."""
    for path, method, status in (("/no/such/path", "GET", 404), ("/health", "POST", 405), ("/pairs/x", "DELETE", 405),
                                 ("/pairs?direction=bogus", "GET", 422), ("/pairs?limit=1000000000", "GET", 422),
                                 ("/pairs?lang=english", "GET", 422), ("/pairs?translator=robot", "GET", 422),
                                 ("/pairs?offset=-1", "GET", 422)):
        got, body, headers = request(server.url + path, method=method, body=b"" if method == "POST" else None)
        assert got == status, (path, method, got, body)
        assert set(body) == {"error", "message"} and body["message"], (path, body)
        assert headers["content-type"].startswith("application/json")
    assert request(server.url + "/pairs?direction=known")[0] == 200
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("HEAD", "/health")
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b""
    conn.close()
    # every address a pair shows finds its document (a URL, or the path the document was read from)
    from urllib.parse import quote

    _, listed, _ = request(server.url + "/pairs?limit=1000")
    for p in listed["pairs"][:20]:
        for side in ("src", "tgt"):
            status, doc, _ = request(server.url + "/documents/" + quote(p[f"{side}_url"], safe=""))
            assert status == 200 and doc["id"] == p[f"{side}_id"], (p[f"{side}_url"], doc)


def _slow_socket(port: int, first: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(first)
    return sock


def _closed_by_server(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
            if b"408" in data:
                return True
    except TimeoutError:
        return False
    except OSError:
        return True


def test_slow_and_idle_connections_cannot_keep_requests_out(run_dir, index):
    """Issue 26 E: 64 sockets with half a request line, or sockets adding a header every few seconds,
    made /health answer 503. Now a request must arrive within its time, and a new connection closes the
    longest-idle one when the limit is reached. Counts and times are small: loopback, a few seconds."""
    config = ServeConfig(header_seconds=1.5, body_seconds=1.5, max_connections=16)
    s = Server(create_app(run_dir, config, index), config)
    sockets = []
    try:
        sockets = [_slow_socket(s.port, b"GET /hea") for _ in range(40)]  # more than the limit, never finished
        t0 = time.monotonic()
        status, body, _ = request(s.url + "/health")
        assert status == 200 and body["status"] == "ok" and time.monotonic() - t0 < 5
        # a header every 0.5 s: still too slow, the request as a whole must arrive within header_seconds
        drip = _slow_socket(s.port, b"GET /health HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        closed = False
        while time.monotonic() - t0 < 6 and not closed:
            try:
                drip.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed = True
                break
            closed = _closed_by_server(drip, 0.5)
        assert closed and time.monotonic() - t0 < 4
        # a body that stops half way
        body = _slow_socket(s.port, b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                                    b"Content-Length: 1000\r\n\r\nhalf a body")
        assert _closed_by_server(body, 4)
        assert request(s.url + "/health")[0] == 200
        # the idle sockets of the first wave were closed: by the limit, or by their own time
        assert all(_closed_by_server(x, 3) for x in sockets)
    finally:
        for x in sockets:
            x.close()
        s.stop()


def test_a_query_over_its_limits_is_answered_and_the_server_goes_on(run_dir):
    """Issue 26 D, behind the server: too many sentences is a 422; a query past its time gets 503 and its work
    stops, so the next query is answered."""
    run = RunIndex(run_dir, max_sentences=40)
    run.warm()
    config = ServeConfig(query_seconds=0.001)  # spent before the query is past its analysis
    s = Server(create_app(run_dir, config, run), config)
    try:
        long_text = " ".join(f"Satz Nummer {k} handelt von Paketen und ihrer Übersetzung." for k in range(60))
        status, body, _ = request(s.url + "/query", long_text.encode(), "text/plain")
        assert status == 422 and body["error"] == "too_long"
        text = " ".join(f"Satz Nummer {k} handelt von Paketen und ihrer Übersetzung." for k in range(30))
        status, body, _ = request(s.url + "/query", text.encode(), "text/plain")
        assert status == 503 and body["error"] == "timeout"
        assert request(s.url + "/health")[0] == 200
    finally:
        s.stop()


def test_add_while_serving_never_breaks_a_request_and_the_server_moves_to_the_grown_run(tmp_path, seed_dir):
    """Issue 26 F: `add` while `serve` ran made 137 of 154 /pairs/{id} answer 500 (offsets into files that
    had been replaced). The server answers from the files it opened until the grown run is whole (its
    manifest written), then from the grown run."""
    from twinpages import add

    folder = shared_path("data", "docalign", "ddtp-en-fr")
    gold = [x.split("\t")[:2] for x in (folder / "gold.tsv").read_text(encoding="utf-8").splitlines()[:60]]
    with gzip.open(folder / "docs.jsonl.gz", "rt", encoding="utf-8") as f:
        by_id = {json.loads(line)["id"]: line for line in f}
    (tmp_path / "first.jsonl").write_text("".join(by_id[i] for g in gold[:30] for i in g), encoding="utf-8")
    (tmp_path / "later.jsonl").write_text("".join(by_id[i] for g in gold[30:] for i in g), encoding="utf-8")
    run_dir = tmp_path / "run"
    mine([tmp_path / "first.jsonl"], run_dir)
    config = ServeConfig(reload_check_seconds=0.05)
    s = Server(create_app(run_dir, config), config)
    try:
        _, listed, _ = request(s.url + "/pairs?limit=1000")
        before = [p["id"] for p in listed["pairs"]]
        statuses: list[int] = []
        grown = threading.Thread(target=add, args=(run_dir, [tmp_path / "later.jsonl"]))
        grown.start()
        while grown.is_alive() or len(statuses) < 50:
            for pid in before[:5]:
                statuses.append(request(s.url + f"/pairs/{pid}")[0])
            statuses.append(request(s.url + "/pairs?limit=1000")[0])
        grown.join()
        assert set(statuses) == {200}, statuses
        total = len([x for x in (run_dir / "docpairs.jsonl").read_text(encoding="utf-8").splitlines() if x])
        assert total > len(before)
        deadline = time.monotonic() + 60
        while request(s.url + "/health")[1]["pairs"] != total:
            assert time.monotonic() < deadline, "the server did not move to the grown run"
            time.sleep(0.1)
        _, grown_list, _ = request(s.url + "/pairs?limit=1000")
        for p in grown_list["pairs"]:
            assert request(s.url + f"/pairs/{p['id']}")[0] == 200
    finally:
        s.stop()
