"""A static HTML report of a `mine` output folder: an index of document pairs and a page per pair.

Built from the files `mine` wrote (docpairs.jsonl, alignments.jsonl, documents.jsonl), never from live
objects, so a report can be made again from an old run. No server, no external assets: one
self-contained page per file, with a few lines of inline script for the index's filter box.
Crawled text is hostile: every string from a document goes through ``html.escape``.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from . import __version__

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em;margin:.2em 0} h2{font-size:1.1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%} th,td{border-bottom:1px solid #ddd;padding:.35em .5em;vertical-align:top}
th{text-align:left;background:#f4f4f4;position:sticky;top:0}
.bar{display:inline-block;height:.7em;background:#3b7ddd;vertical-align:middle}
.barbox{display:inline-block;width:6em;background:#e6e6e6;margin-right:.4em}
.meta{color:#555;font-size:.9em} .num{text-align:right;white-space:nowrap}
input#filter{font-size:1em;padding:.3em .5em;width:24em;margin:.5em 0}
tr.unaligned td{color:#aaa} tr.aligned td.score{font-weight:600}
.cols{display:flex;gap:1.5em} .cols>div{flex:1;min-width:0}
.doc p{margin:.4em 0} mark.aligned{background:#fff1a8;padding:0 .1em} span.unaligned{color:#999}
details{margin:.5em 0} details li{color:#666} .reason{color:#999;font-size:.85em}
"""


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing; is this a `twinpages mine` output folder?")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _page(title: str, body: str, script: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n"
            f"{f'<script>{script}</script>' if script else ''}</body></html>\n")


def _bar(share: float) -> str:
    pct = max(0.0, min(1.0, share)) * 100
    return f'<span class="barbox"><span class="bar" style="width:{pct:.0f}%"></span></span>{share:.2f}'


def pair_filename(k: int) -> str:
    return f"pair-{k:05d}.html"


_FILTER_JS = """
document.getElementById('filter').addEventListener('input', function (e) {
  var q = e.target.value.toLowerCase();
  document.querySelectorAll('#pairs tbody tr').forEach(function (tr) {
    tr.style.display = tr.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
  });
});
"""


def render_index(pairs: list[dict]) -> str:
    rows = []
    for k, p in pairs:
        rows.append(
            f'<tr><td class="num">{p["score"]:.3f}</td>'
            f'<td><a href="{pair_filename(k)}">{escape(p["src_url"])}</a><div class="meta">{escape(p["src_lang"])}'
            f' · {escape(p["src_id"])}</div></td>'
            f'<td>{escape(p["tgt_url"])}<div class="meta">{escape(p["tgt_lang"])} · {escape(p["tgt_id"])}</div></td>'
            f'<td>{escape(p["direction"])}</td><td>{_bar(p["src_coverage"])}</td><td>{_bar(p["tgt_coverage"])}</td>'
            f'<td class="num">{p["n_aligned"]}</td></tr>')
    body = (f"<h1>twinpages report</h1><p class=\"meta\">{len(pairs)} document pairs, sorted by score"
            f" · twinpages {__version__}</p>"
            '<input id="filter" type="search" placeholder="Filter by URL, language, direction…" '
            'aria-label="filter">'
            '<table id="pairs"><thead><tr><th>score</th><th>source</th><th>target</th><th>direction</th>'
            '<th>source coverage</th><th>target coverage</th><th>aligned</th></tr></thead><tbody>'
            + "\n".join(rows) + "</tbody></table>")
    return _page("twinpages report", body, _FILTER_JS)


def _sentence_spans(doc: dict) -> list[tuple[int, int, int]]:
    return [tuple(s) for s in doc["sentences"]]


def _main_text_html(doc: dict, aligned: set[int]) -> str:
    """The main text paragraph by paragraph, aligned sentences highlighted, the rest greyed."""
    text = doc["main_text"]
    spans = _sentence_spans(doc)
    paragraphs: dict[int, list[str]] = {}
    for k, (start, end, line) in enumerate(spans):
        cls = "aligned" if k in aligned else "unaligned"
        tag = "mark" if k in aligned else "span"
        paragraphs.setdefault(line, []).append(
            f'<{tag} class="{cls}" data-sentence="{k}">{escape(text[start:end])}</{tag}>')
    return "".join(f"<p>{' '.join(parts)}</p>" for _, parts in sorted(paragraphs.items()))


def _boilerplate_html(doc: dict) -> str:
    removed = [(n, t, reason) for n, t, is_main, reason in doc["lines"] if not is_main]
    items = "".join(f'<li>{escape(t)} <span class="reason">line {n}: {escape(reason)}</span></li>'
                    for n, t, reason in removed)
    return (f"<details><summary>Removed boilerplate ({len(removed)} lines)</summary><ul>{items}</ul></details>")


def render_pair(pair: dict, beads: list, src: dict, tgt: dict) -> str:
    def sentences(doc: dict, idx: list[int]) -> str:
        spans = _sentence_spans(doc)
        return " ".join(escape(doc["main_text"][spans[i][0]:spans[i][1]]) for i in idx)

    rows = []
    for src_idx, tgt_idx, score in beads:
        aligned = bool(src_idx and tgt_idx)
        rows.append(f'<tr class="{"aligned" if aligned else "unaligned"}">'
                    f"<td>{sentences(src, src_idx)}</td><td>{sentences(tgt, tgt_idx)}</td>"
                    f'<td class="num score">{f"{score:.2f}" if aligned else ""}</td></tr>')
    src_aligned = {i for s, t, _ in beads if s and t for i in s}
    tgt_aligned = {j for s, t, _ in beads if s and t for j in t}
    evidence = "".join(f"<li>{escape(e)}</li>" for e in pair["direction_evidence"])
    body = (
        f'<p><a href="index.html">← all pairs</a></p>'
        f"<h1>{escape(pair['src_lang'])} → {escape(pair['tgt_lang'])}: score {pair['score']:.3f}</h1>"
        f'<p class="meta">direction <b>{escape(pair["direction"])}</b></p><ul class="meta">{evidence}</ul>'
        f'<div class="cols"><div><h2>Source ({escape(pair["src_lang"])})</h2>'
        f'<p class="meta">{escape(pair["src_url"])}<br>coverage {_bar(pair["src_coverage"])}</p></div>'
        f'<div><h2>Target ({escape(pair["tgt_lang"])})</h2>'
        f'<p class="meta">{escape(pair["tgt_url"])}<br>coverage {_bar(pair["tgt_coverage"])}</p></div></div>'
        f'<h2>Main texts, aligned passages highlighted</h2><div class="cols">'
        f'<div class="doc" id="src-text">{_main_text_html(src, src_aligned)}{_boilerplate_html(src)}</div>'
        f'<div class="doc" id="tgt-text">{_main_text_html(tgt, tgt_aligned)}{_boilerplate_html(tgt)}</div></div>'
        f'<h2>Aligned sentences</h2><table id="beads"><thead><tr><th>{escape(pair["src_lang"])}</th>'
        f'<th>{escape(pair["tgt_lang"])}</th><th>score</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
    return _page(f"{pair['src_id']} ↔ {pair['tgt_id']}", body)


def write_report(out_dir: str | Path, report_dir: str | Path) -> Path:
    """Write index.html and one page per document pair; returns the index's path."""
    out, report = Path(out_dir), Path(report_dir)
    pairs = _read_jsonl(out / "docpairs.jsonl")
    alignments = {(a["src_id"], a["tgt_id"]): a["beads"] for a in _read_jsonl(out / "alignments.jsonl")}
    docs = {d["id"]: d for d in _read_jsonl(out / "documents.jsonl")}
    report.mkdir(parents=True, exist_ok=True)
    ordered = list(enumerate(sorted(pairs, key=lambda p: (-p["score"], p["src_id"], p["tgt_id"])), 1))
    for k, p in ordered:
        beads = alignments[(p["src_id"], p["tgt_id"])]
        html = render_pair(p, beads, docs[p["src_id"]], docs[p["tgt_id"]])
        (report / pair_filename(k)).write_text(html, encoding="utf-8")
    index = report / "index.html"
    index.write_text(render_index(ordered), encoding="utf-8")
    return index
