"""A static HTML report of a `mine` output folder, for a person who is not a developer: which pages are
versions of one story, which is the original (in plain words, with how sure), how much of each page is
reused, and the matched passages side by side, numbered and coloured alike on both sides, each a link
to its counterpart (the way Copyleaks and Turnitin show cross-language matches).

Built from the files `mine` wrote (docpairs.jsonl, alignments.jsonl, documents.jsonl), never from live
objects, so a report can be made again from an old run. No server and no external assets: plain pages
with inline CSS and a few lines of inline script (the index's filter box; opening the collapsed parts
before printing). Crawled text is hostile: every string from a document goes through ``html.escape``,
and links to the original pages only ever use http(s) or file URLs.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from . import __version__
from .stages.dates import days_between
from .stages.provenance import is_partial
from .store import readable
from .store.layout import REPORT_MARKER, Layout

LANGUAGES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "ga": "Irish", "gl": "Galician", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "mt": "Maltese", "nl": "Dutch", "no": "Norwegian",
    "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian",
    "sr": "Serbian", "sv": "Swedish", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese",
    "zh": "Chinese",
}
N_COLOURS = 8  # passages cycle through this many colours

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:1.5em auto;max-width:1400px;padding:0 1em;color:#222;background:#fff}
h1{font-size:1.45em;margin:.2em 0} h2{font-size:1.15em;margin:1.3em 0 .4em} h3{font-size:1em;margin:.8em 0 .3em}
table{border-collapse:collapse;width:100%} th,td{border-bottom:1px solid #ddd;padding:.35em .5em;vertical-align:top}
th{text-align:left;background:#f4f4f4}
.meta{color:#555;font-size:.9em} .num{text-align:right;white-space:nowrap} .legend{color:#555;font-size:.9em}
.bar{display:inline-block;height:.7em;background:#3b7ddd;vertical-align:middle}
.barbox{display:inline-block;width:5em;background:#e6e6e6;margin-right:.4em}
input#filter{font-size:1em;padding:.3em .5em;width:26em;margin:.5em 0}
section.story{border:1px solid #ddd;border-radius:6px;padding:.2em 1em .8em;margin:1em 0}
.verdict{font-size:1.05em;margin:.4em 0} .sure{color:#555}
.cols{display:flex;gap:1.5em} .cols>div{flex:1;min-width:0}
.doc p{margin:.4em 0} span.unaligned{color:#888}
mark{padding:0 .1em;border-radius:2px;color:inherit} mark a.num-link{font-size:.75em;font-weight:700;
 text-decoration:none;color:#000;background:#fff;border:1px solid #999;border-radius:8px;padding:0 .35em;
 margin-right:.25em;vertical-align:super}
mark:target{outline:3px solid #d33;outline-offset:1px}
.c0{background:#fde68a}.c1{background:#bfdbfe}.c2{background:#bbf7d0}.c3{background:#fbcfe8}
.c4{background:#ddd6fe}.c5{background:#fed7aa}.c6{background:#a5f3fc}.c7{background:#e5e7eb}
tr.unaligned td{color:#aaa} details{margin:.5em 0} details li{color:#666} .reason{color:#999;font-size:.85em}
@media print{body{font-size:11pt;max-width:none;margin:0} input#filter,.noprint{display:none}
 a{color:inherit;text-decoration:none} section.story{break-inside:avoid}
 .cols{display:block} mark{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

_PRINT_JS = """
window.addEventListener('beforeprint', function () {
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
});
"""

_FILTER_JS = """
document.getElementById('filter').addEventListener('input', function (e) {
  var q = e.target.value.toLowerCase();
  document.querySelectorAll('section.story').forEach(function (s) {
    s.style.display = s.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
  });
});
"""


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing; is this a `twinpages mine` output folder?")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def page(title: str, body: str, script: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n"
            f"<script>{_PRINT_JS}{script}</script></body></html>\n")


def _bar(share: float) -> str:
    pct = max(0.0, min(1.0, share)) * 100
    return f'<span class="barbox"><span class="bar" style="width:{pct:.0f}%"></span></span>{pct:.0f}%'


def pair_filename(k: int) -> str:
    return f"pair-{k:05d}.html"


def _href(location: str) -> str | None:
    """A link to an original page: its http(s) URL, or its file when it was read from one that exists.
    Nothing else (a ``javascript:`` URL in a crawled canonical link must not become a link)."""
    if urlsplit(location).scheme in ("http", "https"):
        return location
    archive = re.fullmatch(r"(.+):\d+", location)  # a JSONL record: "file:line"
    for candidate in (location, archive.group(1) if archive else None):
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve().as_uri()
    return None


def _link(location: str, text: str) -> str:
    href = _href(location)
    return f'<a href="{escape(href)}">{escape(text)}</a>' if href else escape(text)


def headline(doc: dict, limit: int = 110) -> str:
    """What a person would call the page: its first main-text line (a headline, usually), shortened."""
    for _, text, is_main, _ in doc["lines"]:
        if is_main:
            return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
    return doc["url"]


def original_of(pair: dict) -> str | None:
    """"src" or "tgt": the side that is the original, when the direction is known."""
    d = pair["direction"]
    if "->" not in d:
        return None
    return "src" if d.split("->")[0] == pair["src_lang"] else "tgt"


# Words for the direction's probability, by how often verdicts that sure were right on a WMT year the model
# never saw (training/provenance/thresholds.py, "words"; BENCHMARKS "Provenance out of year"): full
# translations at >= 0.97 were right 95.6 %, at 0.75-0.97 about 80-86 %, below 59 %; partial ones (a clear
# coverage gap, the seed's case) at >= 0.9 99 %, at 0.75-0.9 91 %, below 78 %. "Almost certain" is not
# reached by full translations at any probability (97 % at >= 0.995, on 4,056 pairs).
DIRECTION_WORDS = {"full": ((0.97, "very likely"), (0.75, "likely")),
                   "partial": ((0.9, "almost certain"), (0.75, "very likely"), (0.5, "likely"))}


def how_sure(p: float, partial: bool) -> str:
    return next((word for level, word in DIRECTION_WORDS["partial" if partial else "full"] if p >= level),
                "unsure")


def verdict(pair: dict) -> tuple[str, str]:
    """The direction in plain words, and how sure, from what `mine` recorded."""
    src, tgt = language_name(pair["src_lang"]), language_name(pair["tgt_lang"])
    side = original_of(pair)
    p = pair.get("direction_probability")
    if side is None:
        sure = "no direction evidence was strong enough"
        if p is not None:
            lean = src if p >= 0.5 else tgt
            sure = (f"the model leans towards the {lean} page as the original, with probability "
                    f"{max(p, 1 - p):.2f}: too little to say")
        return (f"Which page is the original is not known: the {src} and the {tgt} page are translations of "
                "each other, in one direction or the other.", sure)
    orig, trans = (src, tgt) if side == "src" else (tgt, src)
    if p is not None:
        p = p if side == "src" else 1 - p  # the probability is the source side's
        sure = f"{how_sure(p, is_partial(pair['src_coverage'], pair['tgt_coverage']))}: probability {p:.2f}"
    else:
        n = len(pair["direction_evidence"])
        sure = "fairly sure: two signs agree" if n > 1 else "likely: one sign points this way"
    return f"The {orig} page is the original; the {trans} page is its translation.", sure


def translator_words(pair: dict) -> str:
    """Who translated, in plain words ("" where no model covers the language pair)."""
    p = pair.get("translator_probability")
    if p is None:
        return ""
    who = pair.get("translator", "unknown")
    if who == "unknown":
        # the shipped model never decides (thresholds.py: no level was right 90 % of the time out of year)
        lean = "a machine" if p >= 0.5 else "a person"
        return (f"Whether a person or a machine translated it is not known: the model leans towards {lean} "
                f"(probability {max(p, 1 - p):.2f}), but on text from other years or genres such leanings were "
                "right only about 2 times in 3, so it gives no verdict.")
    side = original_of(pair)
    what = {"src": f"the {language_name(pair['tgt_lang'])} page", "tgt": f"the {language_name(pair['src_lang'])} "
            "page"}.get(side, "the translation")
    maker = "a machine translation" if who == "machine" else "a human translation"
    sure = p if who == "machine" else 1 - p
    # Out of year (training/provenance/loyo.py, BENCHMARKS issue 31) the verdicts given with probability
    # ≥ 0.95 were right 87-91 % of the time: the words say no more than "likely", whatever the probability
    words = "likely" if sure >= 0.75 else "unsure"
    return (f"It looks like {what} is {maker} ({words}: probability {sure:.2f}; on text from years the model "
            "was not trained on, verdicts this sure were right about 9 times in 10).")


def date_words(pair: dict) -> str:
    """When each page was published, in plain words, as far as known ("" where neither date is)."""
    src, tgt = language_name(pair["src_lang"]), language_name(pair["tgt_lang"])
    a, b = pair.get("src_published"), pair.get("tgt_published")
    if a and b:
        days = days_between(a, b)
        order = (f"the {tgt} page {_n(days, 'day')} after the {src} page" if days > 0 else
                 f"the {src} page {_n(-days, 'day')} after the {tgt} page" if days < 0 else "both on the same day")
        return (f"Published {a} ({src}) and {b} ({tgt}): {order}, as the pages give their dates (often wrong: "
                "a template's date, an update).")
    known = [(lang, d) for lang, d in ((src, a), (tgt, b)) if d]
    return "".join(f"The {lang} page gives {d} as its publication date." for lang, d in known)


def coverage_words(pair: dict) -> list[str]:
    src, tgt = language_name(pair["src_lang"]), language_name(pair["tgt_lang"])
    return [f"{pair['src_coverage']:.0%} of the {src} page appears in the {tgt} page.",
            f"{pair['tgt_coverage']:.0%} of the {tgt} page appears in the {src} page."]


def passages(beads: list) -> list[tuple[list[int], list[int]]]:
    """Matched passages: runs of aligned beads that follow each other on both sides, numbered in order."""
    out: list[tuple[list[int], list[int]]] = []
    for src_idx, tgt_idx, _ in beads:
        if not (src_idx and tgt_idx):
            continue
        if out and out[-1][0][-1] + 1 == src_idx[0] and out[-1][1][-1] + 1 == tgt_idx[0]:
            out[-1][0].extend(src_idx)
            out[-1][1].extend(tgt_idx)
        else:
            out.append((list(src_idx), list(tgt_idx)))
    return out


def _text_html(doc: dict, side: str, other: str, numbered: dict[int, int]) -> str:
    """The main text paragraph by paragraph; each matched passage a coloured mark whose number links to
    the same passage on the other side, unmatched sentences greyed."""
    text = doc["main_text"]
    paragraphs: dict[int, list[str]] = {}
    opened: set[int] = set()
    for k, (start, end, line) in enumerate(doc["sentences"]):
        sentence = escape(text[start:end])
        n = numbered.get(k)
        if n is None:
            paragraphs.setdefault(line, []).append(f'<span class="unaligned">{sentence}</span>')
            continue
        label = ""
        if n not in opened:  # the number and the anchor go on the passage's first sentence
            opened.add(n)
            label = (f'<a class="num-link" href="#{other}-p{n}" title="go to passage {n} on the other side">'
                     f"{n}</a>")
        anchor = f' id="{side}-p{n}"' if label else ""
        paragraphs.setdefault(line, []).append(
            f'<mark class="c{(n - 1) % N_COLOURS}" data-passage="{n}"{anchor}>{label}{sentence}</mark>')
    return "".join(f"<p>{' '.join(parts)}</p>" for _, parts in sorted(paragraphs.items()))


def _boilerplate_html(doc: dict) -> str:
    removed = [(n, t, reason) for n, t, is_main, reason in doc["lines"] if not is_main]
    items = "".join(f'<li>{escape(t)} <span class="reason">line {n}: {escape(reason)}</span></li>'
                    for n, t, reason in removed)
    return f"<details><summary>Removed boilerplate ({len(removed)} lines)</summary><ul>{items}</ul></details>"


def _side_heading(pair: dict, doc: dict, side: str, copies: list[dict] | None = None) -> str:
    lang = language_name(pair[f"{side}_lang"])
    role = {None: "", side: " — the original"}.get(original_of(pair), " — the translation")
    copied = ""
    if copies:
        items = "".join(f"<li>{_link(c['url'], c['url'])} <span class=\"meta\">({c['similarity']:.0%} of the "
                        "shorter page in the other)</span></li>" for c in copies)
        many = _n(len(copies), "near-copy", "near-copies")
        copied = f'<p class="copies">{many} of this page in {escape(lang)}:</p><ul>{items}</ul>'
    return (f"<h2>{escape(lang)} page{role}</h2><p><b>{escape(headline(doc))}</b><br>"
            f'<span class="meta">{_link(pair[f"{side}_url"], "open the page: " + pair[f"{side}_url"])}</span></p>'
            + copied)


def copies_by_document(path: Path) -> dict[str, list[dict]]:
    """From OUT/copies.jsonl: each clustered document's id -> the other members of its cluster (an empty
    dict where the run wrote no copies)."""
    out: dict[str, list[dict]] = {}
    for cluster in _read_jsonl(path) if path.exists() else []:
        for member in cluster["members"]:
            out[member["id"]] = [m for m in cluster["members"] if m["id"] != member["id"]]
    return out


def render_pair(pair: dict, beads: list, src: dict, tgt: dict, back: str = "index.html",
                copies: dict[str, list[dict]] | None = None) -> str:
    """A pair's page; ``back``: where its "all stories" link goes; ``copies``: the near-copies of each
    document by id (copies_by_document), listed under its heading."""
    copies = copies or {}
    numbered_src: dict[int, int] = {}
    numbered_tgt: dict[int, int] = {}
    found = passages(beads)
    for n, (s_idx, t_idx) in enumerate(found, 1):
        numbered_src.update({i: n for i in s_idx})
        numbered_tgt.update({j: n for j in t_idx})

    def sentences(doc: dict, idx: list[int]) -> str:
        spans = doc["sentences"]
        return " ".join(escape(doc["main_text"][spans[i][0]:spans[i][1]]) for i in idx)

    rows = []
    for src_idx, tgt_idx, score in beads:
        aligned = bool(src_idx and tgt_idx)
        rows.append(f'<tr class="{"aligned" if aligned else "unaligned"}">'
                    f"<td>{sentences(src, src_idx)}</td><td>{sentences(tgt, tgt_idx)}</td>"
                    f'<td class="num score">{f"{score:.2f}" if aligned else ""}</td></tr>')
    said, sure = verdict(pair)
    who = translator_words(pair)
    dated = date_words(pair)
    evidence = "".join(f"<li>{escape(e)}</li>" for e in pair["direction_evidence"])
    if pair.get("linked"):
        evidence += "<li>the pages name each other as language versions (hreflang or canonical link)</li>"
    src_name, tgt_name = language_name(pair["src_lang"]), language_name(pair["tgt_lang"])
    arrow = "→" if original_of(pair) else "↔"
    first, second = (tgt_name, src_name) if original_of(pair) == "tgt" else (src_name, tgt_name)
    body = (
        f'<p class="noprint"><a href="{escape(back)}">← all stories</a></p>'
        f"<h1>{escape(first)} {arrow} {escape(second)}: {escape(headline(src))}</h1>"
        f'<p class="verdict">{escape(said)} <span class="sure">({escape(sure)})</span></p>'
        + (f'<p class="verdict translator">{escape(who)}</p>' if who else "")
        + (f'<ul class="meta">{evidence}</ul>' if evidence else "")
        + "<p>" + "<br>".join(escape(x) for x in coverage_words(pair)) + "</p>"
        + (f'<p class="dates">{escape(dated)}</p>' if dated else "")
        + f'<p class="legend">Pair score {pair["score"]:.2f} (0 to 1: how closely the matched sentences '
        f"translate each other, times the share of the page they cover; pairs from 0.35 up are reported). "
        f"{_n(len(found), 'matched passage')}, numbered alike on both sides: click a number to see its "
        "counterpart.</p>"
        f'<div class="cols"><div>{_side_heading(pair, src, "src", copies.get(pair["src_id"]))}</div>'
        f'<div>{_side_heading(pair, tgt, "tgt", copies.get(pair["tgt_id"]))}</div></div>'
        f'<div class="cols"><div class="doc" id="src-text">{_text_html(src, "src", "tgt", numbered_src)}'
        f"{_boilerplate_html(src)}</div>"
        f'<div class="doc" id="tgt-text">{_text_html(tgt, "tgt", "src", numbered_tgt)}'
        f"{_boilerplate_html(tgt)}</div></div>"
        f"<details><summary>Every aligned sentence with its score</summary>"
        f'<table id="beads"><thead><tr><th>{escape(src_name)}</th><th>{escape(tgt_name)}</th><th>score</th></tr>'
        f'</thead><tbody>{"".join(rows)}</tbody></table></details>'
        f'<p class="meta">twinpages {__version__}</p>')
    return page(f"{headline(src)} — {src_name} {arrow} {tgt_name}", body)


def stories(pairs: list[dict], copies: dict[str, list[dict]] | None = None) -> list[list[int]]:
    """The pairs grouped into stories: the connected parts of the graph whose edges are the pairs
    (an original and its translations, and translations paired with each other) and, with ``copies``
    (copies_by_document), a page and its near-copies, in order of their best pair."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[root(p["src_id"])] = root(p["tgt_id"])
    for doc_id, others in (copies or {}).items():
        for other in others:
            if root(doc_id) != root(other["id"]):
                parent[root(doc_id)] = root(other["id"])
    groups: dict[str, list[int]] = {}
    for k, p in enumerate(pairs):
        groups.setdefault(root(p["src_id"]), []).append(k)
    return sorted(groups.values(), key=lambda ks: ks[0])


def reuse_shares(pairs: list[dict], alignments: dict, docs: dict) -> dict[str, float]:
    """Per document, the share of its main text (in characters) that a matched passage of any pair covers."""
    covered: dict[str, set[int]] = {}
    for p in pairs:
        for src_idx, tgt_idx, _ in alignments[(p["src_id"], p["tgt_id"])]:
            if src_idx and tgt_idx:
                covered.setdefault(p["src_id"], set()).update(src_idx)
                covered.setdefault(p["tgt_id"], set()).update(tgt_idx)
    shares = {}
    for doc_id, idx in covered.items():
        spans = docs[doc_id]["sentences"]
        total = sum(e - s for s, e, _ in spans) or 1
        shares[doc_id] = sum(spans[i][1] - spans[i][0] for i in idx if i < len(spans)) / total
    return shares


def render_index(pairs: list[dict], docs: dict, shares: dict[str, float], link=None, before: str = "",
                 after: str = "", heading: str | None = None, copies: dict[str, list[dict]] | None = None) -> str:
    """The stories page. ``link(k)``: the address of the k-th pair's page (0-based; default the static
    report's files); ``before``, ``after``: HTML put above and below the stories (the server's forms, pager);
    ``copies``: near-copies join their pages' stories (stories)."""
    link = link or (lambda k: pair_filename(k + 1))
    sections = []
    for n, members in enumerate(stories(pairs, copies), 1):
        story = [pairs[k] for k in members]
        ids = list(dict.fromkeys(i for p in story for i in (p["src_id"], p["tgt_id"])))
        originals = {p["src_id"] if original_of(p) == "src" else p["tgt_id"] for p in story if original_of(p)}
        translations = {p["tgt_id"] if original_of(p) == "src" else p["src_id"] for p in story if original_of(p)}
        lead = next(iter(sorted(originals - translations)), ids[0])
        versions = []
        for doc_id in [lead] + [i for i in ids if i != lead]:
            d = docs[doc_id]
            role = ("original" if doc_id in originals - translations
                    else "translation" if doc_id in translations else "version")
            versions.append(f"<tr><td>{escape(language_name(d['lang']))}</td><td>{role}</td>"
                            f"<td>{_link(d['url'], headline(d))}<div class=\"meta\">{escape(d['url'])}</div></td>"
                            f"<td>{_bar(shares.get(doc_id, 0.0))}</td></tr>")
        rows = []
        for k in members:
            p = pairs[k]
            said, sure = verdict(p)
            who = translator_words(p)
            rows.append(f'<tr><td><a href="{escape(link(k))}">compare side by side</a></td>'
                        f"<td>{escape(language_name(p['src_lang']))} ↔ {escape(language_name(p['tgt_lang']))}</td>"
                        f"<td>{escape(said)} <span class=\"sure\">({escape(sure)})</span>"
                        f"{' ' + escape(who) if who else ''}</td>"
                        f"<td>{'<br>'.join(escape(x) for x in coverage_words(p))}</td>"
                        f'<td class="num">{p["score"]:.2f}</td></tr>')
        sections.append(
            f'<section class="story"><h2>Story {n}: {escape(headline(docs[lead]))}</h2>'
            f"<table><thead><tr><th>language</th><th>role</th><th>page</th><th>reused text</th></tr></thead>"
            f"<tbody>{''.join(versions)}</tbody></table>"
            f"<h3>Pairs</h3><table><thead><tr><th></th><th>languages</th><th>direction</th><th>coverage</th>"
            f"<th>score</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>")
    n_docs = len({i for p in pairs for i in (p["src_id"], p["tgt_id"])})
    heading = heading or f"Translated pages: {_n(len(sections), 'story', 'stories')}"
    body = (f"<h1>{escape(heading)}</h1>"
            f'<p class="meta">{_n(len(pairs), "pair")} of pages that translate each other, among '
            f"{_n(n_docs, 'page')} · twinpages {__version__}</p>"
            '<p class="legend">A story is a page and its translations. "Reused text" is the share of a page\'s '
            "main text found in another language in this story. The score of a pair goes from 0 to 1 (how "
            "closely the matched sentences translate each other, times the share of the page they cover); "
            "pairs from 0.35 up are reported.</p>"
            + before + '<input id="filter" type="search" placeholder="Filter by headline, address, language…" '
            'aria-label="filter">' + "\n".join(sections) + after)
    return page("Translated pages — twinpages report", body, _FILTER_JS)


def write_report(out_dir: str | Path, report_dir: str | Path) -> Path:
    """Write index.html and one page per document pair into ``report_dir``, a report folder: new, empty,
    or one that an earlier report made (it has REPORT_MARKER, which lists the report's files). There the
    earlier report's files that this one does not write are removed, and nothing else is touched; a
    folder with other files and no marker is refused. Returns the index's path."""
    out, report = readable(out_dir), Path(report_dir)
    run = Layout(out)
    pairs = _read_jsonl(run.output("docpairs.jsonl"))
    alignments = {(a["src_id"], a["tgt_id"]): a["beads"] for a in _read_jsonl(run.output("alignments.jsonl"))}
    docs = {d["id"]: d for d in _read_jsonl(run.output("documents.jsonl"))}
    copies = copies_by_document(run.output("copies.jsonl"))
    marker = report / REPORT_MARKER
    if report.exists() and not marker.is_file() and (not report.is_dir() or any(report.iterdir())):
        raise ValueError(f"{report} exists and is not a twinpages report folder (no {REPORT_MARKER}): its files "
                         "would be overwritten; choose a new or empty folder")
    before = set(_report_files(marker))
    report.mkdir(parents=True, exist_ok=True)
    pairs = sorted(pairs, key=lambda p: (-p["score"], p["src_id"], p["tgt_id"]))
    written = []
    for k, p in enumerate(pairs, 1):
        html = render_pair(p, alignments[(p["src_id"], p["tgt_id"])], docs[p["src_id"]], docs[p["tgt_id"]],
                           copies=copies)
        (report / pair_filename(k)).write_text(html, encoding="utf-8")
        written.append(pair_filename(k))
    index = report / "index.html"
    index.write_text(render_index(pairs, docs, reuse_shares(pairs, alignments, docs), copies=copies),
                     encoding="utf-8")
    written.append(index.name)
    for stale in sorted(before - set(written)):  # only names an earlier report wrote
        (report / stale).unlink(missing_ok=True)
    marker.write_text(json.dumps({"twinpages": __version__, "run": str(out), "files": written}, indent=1) + "\n",
                      encoding="utf-8")
    return index


def _report_files(marker: Path) -> list[str]:
    """The files an earlier report listed in its marker (plain names in the folder: nothing else is ever
    removed)."""
    try:
        files = json.loads(marker.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [f for f in files if isinstance(f, str) and f == Path(f).name and f not in ("", ".", "..")]
