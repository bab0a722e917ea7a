"""`serve`: a finished run as an HTTP service: query a document, browse the pairs, read the report live.

    twinpages serve out/ --port 8000
    curl -s --data-binary @artikel.html -H 'Content-Type: text/html' localhost:8000/query

FastAPI on uvicorn: FastAPI because it writes the OpenAPI description from the handlers' signatures and
validates query parameters with the same declarations (one place to keep), on Starlette's small, well-kept
ASGI core; uvicorn because it is Starlette's reference server, pure Python with its h11 parser, no build
step. The encoder and indexes live in this one process (RunIndex loads them once); queries run in a
worker thread, one at a time, so the event loop keeps answering the other routes while one is computed.

Everything crawled is hostile: JSON is JSON-encoded, HTML goes through report.py (every string escaped),
and the HTML pages carry a Content-Security-Policy that allows only their own inline style and script.
Bodies are bounded (``max_body``), queries by time (``query_seconds``) and by how many may wait.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from . import __version__
from .query import MAX_QUERY_SENTENCES, Answer, QueryError, QueryTimeout, RunIndex
from .report import (
    copies_by_document,
    headline,
    language_name,
    page,
    render_index,
    render_pair,
    reuse_shares,
    stories,
)
from .schemas import DOCPAIR, bead_dict, bead_row, document_row
from .store import Layout, readable

LOOPBACK = ("127.0.0.1", "localhost", "::1")
STORIES_PER_PAGE = 100
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


@dataclass(frozen=True, slots=True)
class ServeConfig:
    token: str | None = None  # required of every request when set (Authorization: Bearer, or a cookie)
    max_body: int = 10_000_000  # bytes of a query's body
    query_seconds: float = 30.0  # a query's work stops after this (query.py's budget) and the client gets 503
    waiting: int = 8  # queries that may wait for the one being computed; more get 503
    page_size: int = 50
    max_page: int = 1000
    # A request must arrive in time: its line and headers within header_seconds of the connection (or of
    # its first byte, on a kept-alive connection), its body within body_seconds; else 408 and the
    # connection closes. At most max_connections are open: a new one closes the longest-idle connection
    # (no request in progress), so slow or idle sockets cannot keep a request out.
    header_seconds: float = 10.0
    body_seconds: float = 60.0
    max_connections: int = 256
    reload_check_seconds: float = 1.0  # how often a request looks whether `add` changed the run
    query_sentences: int = MAX_QUERY_SENTENCES  # a longer query is refused (422 too_long)


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def pair_id(src_id: str, tgt_id: str) -> str:
    """A pair's id in the API: stable across restarts and across `add` (which renumbers the report's pages)."""
    return hashlib.blake2b(f"{src_id}\t{tgt_id}".encode(), digest_size=8).hexdigest()


class RunData:
    """What the pair and document routes read: the run's output files (docpairs.jsonl; alignments.jsonl
    and documents.jsonl by byte offset, read on demand) and its documents (RunIndex). The files are held
    open from the start: `add` replaces them by rename, and this snapshot keeps reading the versions it
    indexed until the server moves to the new run (Served)."""

    def __init__(self, run: RunIndex):
        self.run = run
        self._files = {name: _open(run.layout.output(name)) for name in ("docpairs.jsonl", "alignments.jsonl",
                                                              "documents.jsonl")}
        self.pairs = sorted(_read_jsonl(self._files["docpairs.jsonl"]),
                            key=lambda p: (-p["score"], p["src_id"], p["tgt_id"]))
        for p in self.pairs:
            p["id"] = pair_id(p["src_id"], p["tgt_id"])
        self.by_id = {p["id"]: k for k, p in enumerate(self.pairs)}
        self.by_doc: dict[str, list[int]] = {}
        for k, p in enumerate(self.pairs):
            for d in (p["src_id"], p["tgt_id"]):
                self.by_doc.setdefault(d, []).append(k)
        self._alignments = _offsets(self._files["alignments.jsonl"], lambda d: (d["src_id"], d["tgt_id"]))
        self._documents = _offsets(self._files["documents.jsonl"], lambda d: d["id"])
        self._stories: list[list[int]] | None = None
        self._texts: dict[int, str] = {}
        # each clustered document's near-copies (OUT/copies.jsonl: small, one line a cluster)
        self.copies = copies_by_document(run.layout.output("copies.jsonl"))
        self._lock = threading.Lock()

    def beads(self, p: dict) -> list:
        return _read_at(self._files["alignments.jsonl"], self._alignments[(p["src_id"], p["tgt_id"])])["beads"]

    def document(self, doc_id: str) -> dict:
        return _read_at(self._files["documents.jsonl"], self._documents[doc_id])

    def close(self) -> None:
        for f in self._files.values():
            if f is not None:
                f.close()

    def index_html(self, q: str, page_number: int, per_page: int = STORIES_PER_PAGE) -> str:
        """A page of the stories (report.py's index), those whose headlines, addresses, ids or languages
        contain ``q`` (case-folded). A crawl's stories are too many for one page: the static report has
        them all, the service pages them."""
        with self._lock:
            if self._stories is None:
                self._stories = stories(self.pairs, self.copies)
                self._texts = {}
            found = self._stories if not q else [s for s in self._stories if q.casefold() in self._text(s)]
        shown = found[page_number * per_page:(page_number + 1) * per_page]
        pairs = [self.pairs[k] for members in shown for k in members]
        docs = {i: self.document(i) for p in pairs for i in (p["src_id"], p["tgt_id"])}
        beads = {(p["src_id"], p["tgt_id"]): self.beads(p) for p in pairs}
        pager = _pager(q, page_number, per_page, len(found))
        return render_index(pairs, docs, reuse_shares(pairs, beads, docs),
                            link=lambda k: f"/ui/pairs/{pairs[k]['id']}", before=QUERY_FORM + _search_form(q) + pager,
                            after=pager, heading=f"Translated pages: {len(self._stories):,} stories")

    def story_of(self, doc_id: str) -> set[int]:
        """The pairs (positions in ``pairs``) of the story that holds this document or one of its near-copies;
        empty where it is in none."""
        with self._lock:
            if self._stories is None:
                self._stories = stories(self.pairs, self.copies)
                self._texts = {}
        ids = {doc_id} | {c["id"] for c in self.copies.get(doc_id, [])}
        return next((set(members) for members in self._stories
                     if ids & {i for k in members for i in (self.pairs[k]["src_id"], self.pairs[k]["tgt_id"])}), set())

    def _text(self, members: list[int]) -> str:
        """What the search box matches in a story (computed once per story, on first search)."""
        key = members[0]
        if key not in self._texts:
            parts = []
            for k in members:
                p = self.pairs[k]
                parts += [p["src_id"], p["tgt_id"], p["src_url"], p["tgt_url"], language_name(p["src_lang"]),
                          language_name(p["tgt_lang"])]
                parts += [headline(self.document(i)) for i in (p["src_id"], p["tgt_id"])]
            self._texts[key] = " ".join(parts).casefold()
        return self._texts[key]


def _search_form(q: str) -> str:
    return ('<form class="noprint" method="get" action="/"><input id="search" name="q" type="search" '
            f'value="{escape(q)}" placeholder="Search every story: headline, address, language…" aria-label="search">'
            ' <button type="submit" id="search-submit">Search</button></form>')


def _pager(q: str, page_number: int, per_page: int, total: int) -> str:
    from urllib.parse import urlencode

    pages = max(1, -(-total // per_page))
    links = [f"{total:,} {'story' if total == 1 else 'stories'}" + (f" matching “{escape(q)}”" if q else "")
             + f", page {page_number + 1} of {pages}"]
    for label, n in (("← previous", page_number - 1), ("next →", page_number + 1)):
        if 0 <= n < pages:
            query = urlencode({"q": q, "page": n + 1} if q else {"page": n + 1})
            links.append(f'<a href="/?{escape(query)}">{label}</a>')
    return f'<p class="meta noprint pager">{" · ".join(links)}</p>'


def _open(path: Path):
    try:
        return path.open("rb")
    except FileNotFoundError:
        return None


def _read_jsonl(f) -> list[dict]:
    if f is None:
        return []
    return [json.loads(line) for line in _lines(f) if line.strip()]


def _lines(f):
    f.seek(0)  # only while the snapshot is made, before any request reads it
    yield from f


def _offsets(f, key) -> dict:
    out = {}
    if f is None:
        return out
    pos = 0
    for line in _lines(f):
        if line.strip():
            out[key(json.loads(line))] = pos
        pos += len(line)
    return out


def _read_at(f, offset: int) -> dict:
    """The JSON line at ``offset``: os.pread, which moves no shared position, so threads may read at once."""
    import os

    chunks = []
    while True:
        chunk = os.pread(f.fileno(), 1 << 16, offset)
        end = chunk.find(b"\n")
        if end >= 0 or not chunk:
            chunks.append(chunk[:end] if end >= 0 else chunk)
            return json.loads(b"".join(chunks))
        chunks.append(chunk)
        offset += len(chunk)


class Served:
    """The run a server answers from, and the move to the run as `add` left it. `add` replaces the output
    files by rename and writes manifest.json last: when the manifest changes, a new snapshot (RunIndex,
    RunData) is made in the background, and requests move to it once it is whole; until then, and for a
    request already under way, the old snapshot answers, from the files it holds open."""

    def __init__(self, run_dir: str | Path, config: ServeConfig, run: RunIndex | None = None):
        self.root, self.config = readable(run_dir), config
        run = run or RunIndex(run_dir, max_sentences=config.query_sentences)
        self.current: tuple[RunIndex, RunData] = (run, RunData(run))
        self.stamp = _stamp(self.root)
        self._checked = time.monotonic()
        self._loading = threading.Lock()
        self.reloads = 0

    def get(self) -> tuple[RunIndex, RunData]:
        now = time.monotonic()
        if now - self._checked >= self.config.reload_check_seconds:
            self._checked = now
            stamp = _stamp(self.root)
            if stamp != self.stamp and self._loading.acquire(blocking=False):
                threading.Thread(target=self._load, args=(stamp,), daemon=True).start()
        return self.current

    def _load(self, stamp) -> None:
        try:
            run = RunIndex(self.root, max_sentences=self.config.query_sentences)
            run.warm()
            self.current, self.stamp = (run, RunData(run)), stamp
            self.reloads += 1
        except Exception:  # noqa: BLE001  (a run being changed: the old snapshot serves, the next check retries)
            pass
        finally:
            self._loading.release()


def _stamp(root: Path) -> tuple:
    try:
        st = Layout(root).manifest.stat()
        return st.st_ino, st.st_mtime_ns, st.st_size
    except OSError:
        return ()


ERROR_KINDS = {400: "bad_request", 401: "unauthorised", 404: "not_found", 405: "method_not_allowed",
               413: "too_large", 415: "unsupported_media_type", 422: "invalid_parameter", 503: "busy"}
LANGUAGE = r"^[a-z]{2,3}$"
DIRECTION = r"^(known|unknown|[a-z]{2,3}->[a-z]{2,3})$"


def create_app(run_dir: str | Path, config: ServeConfig = ServeConfig(), run: RunIndex | None = None) -> FastAPI:
    """The ASGI application for a finished run (uvicorn, hypercorn or any ASGI server can run it)."""
    served = Served(run_dir, config, run)
    app = FastAPI(title="twinpages", version=__version__, docs_url=None, redoc_url=None,  # no CDN assets
                  description="Translated twins of a document in a mined corpus: query, pairs, documents, report.")
    _errors(app)
    _guard(app, config)
    gate = asyncio.Semaphore(config.waiting + 1)

    async def answer_of(request: Request) -> tuple[RunIndex, Answer]:
        data_bytes, fmt, name = await _document_body(request, config.max_body)
        if gate.locked():
            raise ApiError(503, "busy", "too many queries are waiting; try again shortly")
        run, _ = served.get()
        async with gate:
            # the query's own budget stops its work (query.py); the wait here is the budget and a margin
            work = asyncio.to_thread(run.query_bytes, data_bytes, name, fmt, config.query_seconds)
            try:
                return run, await asyncio.wait_for(work, config.query_seconds + 5)
            except QueryTimeout as e:
                raise ApiError(503, "timeout", str(e)) from None
            except QueryError as e:
                raise ApiError(422, e.kind, str(e)) from None
            except TimeoutError:
                raise ApiError(503, "timeout", f"no answer within {config.query_seconds:g} s") from None

    _api(app, served, config, answer_of)
    _pages(app, served, answer_of)
    app.state.served = served
    return app


def _errors(app: FastAPI) -> None:
    """Every error as JSON of one shape, ``{error, message}``: ours, routing's (404, 405), parameters' (422)."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    @app.exception_handler(ApiError)
    async def api_error(request: Request, e: ApiError):
        return JSONResponse({"error": e.kind, "message": e.message}, status_code=e.status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException):  # routing: no such path, method not allowed
        message = {404: f"no such path: {request.url.path}",
                   405: f"{request.method} is not allowed on {request.url.path}"}.get(e.status_code, str(e.detail))
        return JSONResponse({"error": ERROR_KINDS.get(e.status_code, "http_error"), "message": message},
                            status_code=e.status_code, headers=getattr(e, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        parts = [f"{'.'.join(str(x) for x in err.get('loc', ())[1:]) or 'request'}: {err.get('msg')}"
                 + (f" (given {err['input']!r})" if "input" in err and err["input"] is not None else "")
                 for err in e.errors()]
        return JSONResponse({"error": "invalid_parameter", "message": "; ".join(parts)}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, e: Exception):  # a bug, said as JSON; the server goes on
        return JSONResponse({"error": "internal", "message": f"{type(e).__name__}: {e}"}, status_code=500)


def _guard(app: FastAPI, config: ServeConfig) -> None:
    """The token, the declared body size, and the headers every answer carries."""

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if config.token is not None and not _authorised(request, config.token):
            return JSONResponse({"error": "unauthorised", "message": "a token is required: send "
                                 "'Authorization: Bearer TOKEN' (pages: open /?token=TOKEN once)"}, status_code=401)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > config.max_body):
            return JSONResponse({"error": "too_large", "message": f"the body is over {config.max_body:,} bytes"},
                                status_code=413, headers={"Connection": "close"})
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Content-Security-Policy"] = CSP
            token = request.query_params.get("token")
            if config.token is not None and token is not None:
                response.set_cookie("twinpages_token", token, httponly=True, samesite="strict")
        return response


def _api(app: FastAPI, served: Served, config: ServeConfig, answer_of) -> None:
    """The JSON routes: query, pairs, a pair, a document, health."""

    @app.post("/query", summary="Find the translations of a document in the run",
              description="The body is the document: `text/plain` (UTF-8), `text/html`, or `multipart/form-data` "
                          "with a `file` field. The answer lists its twins, each a docpairs record (score, both "
                          "coverages, direction, spans) with the other document's id and the aligned passages.")
    async def post_query(request: Request) -> dict:
        return (await answer_of(request))[1].record()

    @app.get("/pairs", summary="The run's document pairs, best first, filtered and paged")
    def get_pairs(lang: Annotated[str | None, Query(pattern=LANGUAGE,
                                                    description="a language either side has (ISO 639-1)")] = None,
                  min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
                  direction: Annotated[str | None, Query(pattern=DIRECTION,
                                                         description="`en->de`, `unknown`, or `known`")] = None,
                  translator: Annotated[Literal["human", "machine", "unknown"] | None,
                                        Query(description="where the run records a translator verdict")] = None,
                  story: Annotated[str | None, Query(max_length=2000, description="a document's id: only the pairs "
                                                     "of its story (its translations, their pairs, and its and their "
                                                     "near-copies')")] = None,
                  offset: Annotated[int, Query(ge=0)] = 0,
                  limit: Annotated[int, Query(ge=1, description="pairs per page, at most ServeConfig.max_page "
                                                                "(1000 by default)")] = config.page_size) -> dict:
        if limit > config.max_page:
            raise ApiError(422, "invalid_parameter", f"limit: at most {config.max_page} pairs a page, not {limit}; "
                                                     "page with offset")
        _, data = served.get()
        in_story = data.story_of(story) if story is not None else None
        found = [p for k, p in enumerate(data.pairs) if (in_story is None or k in in_story)
                 and (lang is None or lang in (p["src_lang"], p["tgt_lang"]))
                 and p["score"] >= min_score
                 and (direction is None or p["direction"] == direction
                      or (direction == "known" and p["direction"] != "unknown"))
                 and (translator is None or p.get("translator", "unknown") == translator)]
        return {"total": len(found), "offset": offset, "limit": limit, "pairs": found[offset:offset + limit]}

    @app.get("/pairs/{pair}", summary="One pair: its record, every bead, and both documents' ids")
    def get_pair(pair: str) -> dict:
        _, data = served.get()
        p = _pair(data, pair)
        beads = [bead_dict(b) for b in data.beads(p)]
        return p | {"beads": beads}

    @app.get("/documents/{doc_id:path}", summary="A document of the run: main text, lines, sentences, pairs",
             description="By id, or by the address a pair shows for it (`src_url`, `tgt_url`: its URL, else "
                         "the path it was read from)")
    def get_document(doc_id: str) -> dict:
        run, data = served.get()
        doc = run.document(doc_id)
        if doc is None:
            raise ApiError(404, "not_found", f"no document of the run has the id or address {doc_id!r}")
        return document_row(doc) | {"pairs": [data.pairs[k]["id"] for k in data.by_doc.get(doc.id, [])]}

    @app.get("/health", summary="Whether the service is up, and what it serves")
    def health() -> dict:
        run, data = served.get()
        return {"status": "ok", "twinpages": __version__, "pairs": len(data.pairs), "documents": len(run.state.index),
                "languages": run.languages()}

    app.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)  # what load balancers probe



def _pages(app: FastAPI, served: Served, answer_of) -> None:
    """The report's pages, live, and the query form's answers."""
    answers: OrderedDict[str, tuple[RunIndex, Answer]] = OrderedDict()  # the query form's, for their pages

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(q: Annotated[str, Query(max_length=200)] = "", page: Annotated[int, Query(ge=1)] = 1) -> str:
        return served.get()[1].index_html(q.strip(), page - 1)

    @app.get("/ui/pairs/{pair}", response_class=HTMLResponse, include_in_schema=False)
    def pair_page(pair: str) -> str:
        _, data = served.get()
        p = _pair(data, pair)
        return render_pair(p, data.beads(p), data.document(p["src_id"]), data.document(p["tgt_id"]), back="/",
                           copies=data.copies)

    @app.post("/ui/query", response_class=HTMLResponse, include_in_schema=False)
    async def query_page(request: Request):
        try:
            run, answer = await answer_of(request)
        except ApiError as e:
            return HTMLResponse(page("No answer — twinpages", f'<p><a href="/">← all stories</a></p>'
                                     f"<h1>No answer</h1><p>{escape(e.message)}</p>"), status_code=e.status)
        key = uuid.uuid4().hex
        answers[key] = (run, answer)
        while len(answers) > 64:
            answers.popitem(last=False)
        return _answer_page(answer, key)

    @app.get("/ui/answers/{key}/{k}", response_class=HTMLResponse, include_in_schema=False)
    def answer_pair(key: str, k: int) -> str:
        run, answer = answers.get(key, (None, None))
        if answer is None or not 0 <= k < len(answer.twins):
            raise ApiError(404, "not_found", "this answer is no longer kept; query again")
        twin = answer.twins[k]
        p = twin.pair
        docs = {answer.query.id: document_row(answer.query), twin.other: document_row(run.document(twin.other))}
        record = DOCPAIR.row(p)
        beads = [bead_row(b) for b in p.beads]
        return render_pair(record, beads, docs[p.src_id], docs[p.tgt_id], back="/")


QUERY_FORM = """<form class="noprint" method="post" action="/ui/query" enctype="multipart/form-data">
<h2>Who translated this page?</h2><p class="legend">Paste a page's text (or choose a file): its translations among
these pages are found and aligned.</p><textarea name="text" id="query-text" rows="5" style="width:100%"></textarea>
<p><input type="file" name="file" aria-label="file"> <button type="submit" id="query-submit">Find translations
</button></p></form>"""


def _answer_page(answer: Answer, key: str) -> str:
    from .report import coverage_words, verdict

    q = answer.query
    rows = []
    for k, twin in enumerate(answer.twins):
        p = DOCPAIR.row(twin.pair)
        said, sure = verdict(p)
        other = p["tgt_url"] if twin.pair.src_id == q.id else p["src_url"]
        rows.append(f'<tr><td><a href="/ui/answers/{key}/{k}">compare side by side</a></td>'
                    f"<td>{escape(other)}</td>"
                    f"<td>{escape(language_name(p['src_lang']))} ↔ {escape(language_name(p['tgt_lang']))}</td>"
                    f"<td>{escape(said)} <span class=\"sure\">({escape(sure)})</span></td>"
                    f"<td>{'<br>'.join(escape(x) for x in coverage_words(p))}</td>"
                    f'<td class="num">{p["score"]:.2f}</td></tr>')
    table = ("<table id=\"twins\"><thead><tr><th></th><th>page</th><th>languages</th><th>direction</th>"
             f"<th>coverage</th><th>score</th></tr></thead><tbody>{''.join(rows)}</tbody></table>" if rows else
             "<p>No translation of this page was found among these pages.</p>")
    body = (f'<p class="noprint"><a href="/">← all stories</a></p>'
            f"<h1>Translations of the {escape(language_name(q.lang or ''))} page</h1>"
            f'<p class="meta">{len(q.sentences)} sentences; {len(answer.twins)} translated page(s) among '
            f"{answer.candidates} candidate(s), {answer.seconds:.2f} s</p>{table}")
    return page("Translations — twinpages", body)


def _pair(data: RunData, pair: str) -> dict:
    k = data.by_id.get(pair)
    if k is None:
        raise ApiError(404, "not_found", f"no pair has the id {pair!r}")
    return data.pairs[k]


def _authorised(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    given = given[7:] if given.lower().startswith("bearer ") else None
    given = given or request.cookies.get("twinpages_token") or request.query_params.get("token") or ""
    return hmac.compare_digest(given.encode(), token.encode())


async def _document_body(request: Request, limit: int) -> tuple[bytes, str | None, str]:
    """(bytes, format, name) of the query document in the body, read at most ``limit`` bytes."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        body = await _body(request, limit)
        return await _from_form(request, body)
    if ctype not in ("text/plain", "text/html", "application/xhtml+xml", ""):
        raise ApiError(415, "unsupported_media_type", f"send the document as text/plain, text/html or "
                                                      f"multipart/form-data (a file), not {ctype}")
    body = await _body(request, limit)
    if not body.strip():
        raise ApiError(400, "empty", "the body is empty: send the document to query")
    if ctype == "text/plain" or ctype == "":
        charset = _charset(request.headers.get("content-type", "")) or "utf-8"
        try:
            text = body.decode(charset)
        except (UnicodeDecodeError, LookupError) as e:
            raise ApiError(400, "decode", f"the body is not valid {charset} text ({e})") from None
        if "\x00" in text:
            raise ApiError(400, "binary", "the body holds NUL characters: not text")
        return text.encode("utf-8"), "txt", "query"
    return body, "html", "query"


async def _body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"the body is over {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _from_form(request: Request, body: bytes) -> tuple[bytes, str | None, str]:
    from starlette.datastructures import UploadFile
    from starlette.requests import Request as Plain

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Plain(request.scope, receive).form(max_files=1, max_fields=10)
    except Exception as e:  # a malformed multipart body
        raise ApiError(400, "bad_form", f"the form cannot be read ({e})") from None
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        name = Path(upload.filename).name or "upload"
        fmt = "html" if name.lower().endswith((".html", ".htm", ".xhtml")) else None
        if data.strip():
            return data, fmt, name
    text = form.get("text")
    if isinstance(text, str) and text.strip():
        return text.encode("utf-8"), "txt", "query"
    raise ApiError(400, "empty", "the form has no file and no text")


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset":
            return value.strip().strip('"') or None
    return None


def uvicorn_config(app, host: str, port: int, config: ServeConfig = ServeConfig(), log_level: str = "info"):
    """uvicorn's settings for a twinpages service: the connection limits of serve_limits.py, a short
    keep-alive, bounded headers; no limit_concurrency (it counts idle sockets: serve_limits.py)."""
    import uvicorn

    from .serve_limits import guarded_protocol

    return uvicorn.Config(app, host=host, port=port, log_level=log_level, http=guarded_protocol(config),
                          timeout_keep_alive=5, h11_max_incomplete_event_size=64 * 1024)


def serve(run_dir: str | Path, host: str = "127.0.0.1", port: int = 8000, config: ServeConfig = ServeConfig(),
          log_level: str = "info") -> None:
    """Load the run (indexes, encoder) and serve it until interrupted. Any address but loopback needs a token."""
    import uvicorn

    if host not in LOOPBACK and not config.token:
        raise ValueError(f"serving on {host} (not loopback) needs --token: anyone who reaches the port could "
                         "read the corpus and use the machine")
    run = RunIndex(run_dir, max_sentences=config.query_sentences)
    run.warm()
    app = create_app(run_dir, config, run)
    uvicorn.Server(uvicorn_config(app, host, port, config, log_level)).run()
