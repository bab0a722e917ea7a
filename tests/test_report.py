"""The static report: built from a real `mine` output, escaped, and checked in a real browser."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, DE_SEED, EN_SEED, REPO, gold_pairs_found, normalise, sync_chromium
from twinpages import mine
from twinpages.report import write_report

ARTIFACTS = REPO / "test-artifacts"
HOSTILE_LINE = 'He wrote <script>alert("x")</script> and <img src=x onerror=alert(1)> in the comments.'


@pytest.fixture(scope="module")
def report(tmp_path_factory, seed_dir):
    """Mine the seed pair, with hostile markup planted in the English page's boilerplate and body."""
    inp = tmp_path_factory.mktemp("in")
    shutil.copy(seed_dir / DE_SEED, inp / DE_SEED)
    en = (seed_dir / EN_SEED).read_text(encoding="utf-8").splitlines()
    en.insert(94, HOSTILE_LINE)  # right after the article body: kept or dropped, it must render as text
    en.insert(2, "<script>document.title='pwned'</script>")
    (inp / EN_SEED).write_text("\n".join(en) + "\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    mine([inp], out)
    rep = tmp_path_factory.mktemp("report")
    write_report(out, rep)
    return out, rep


def test_report_files_are_self_contained(report):
    import re

    _, rep = report
    pages = sorted(p.name for p in rep.iterdir())
    assert pages == [".twinpages-report", "index.html", "pair-00001.html"]  # the marker lists the pages
    for page in rep.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        # nothing is loaded from elsewhere: no stylesheet, script, image or frame source
        assert "<link" not in html and not re.search(r"<(script|img|iframe)[^>]*\ssrc=", html)
        for href in re.findall(r'href="([^"]*)"', html):  # links: other report pages, passages, the originals
            assert href.startswith(("pair-", "index.html", "#", "file://", "http://", "https://")), href


def test_hostile_text_is_escaped(report):
    _, rep = report
    html = (rep / "pair-00001.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html  # boilerplate, escaped


def test_seed_pair_page_in_a_real_browser(report, gold, seed_dir):
    sync_playwright = sync_chromium()
    _, rep = report
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1100})
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto((rep / "pair-00001.html").as_uri())
        rows = page.locator("#beads tr.aligned")
        assert rows.count() == 12
        aligned = [(rows.nth(k).locator("td").nth(0).text_content(), rows.nth(k).locator("td").nth(1).text_content())
                   for k in range(12)]
        assert gold_pairs_found(gold, aligned) == 12
        boilerplate = {normalise(t) for t in (seed_dir / EN_SEED).read_text(encoding="utf-8").splitlines()
                       if t.strip() and len(t.split()) > 2} - {normalise(p["en"]) for p in gold["sentence_pairs"]}
        for src, _ in aligned:
            assert normalise(src) not in boilerplate
        # the boilerplate is there, collapsed; the hostile markup is text and ran no script
        assert page.locator("details summary").first.inner_text().startswith("Removed boilerplate")
        assert not page.locator("details").first.evaluate("d => d.open")
        assert page.title() != "pwned" and dialogs == []
        assert page.locator("#src-text mark").count() == 12 and page.locator("#tgt-text mark").count() == 12
        # direction in plain words, coverage in words, links to both original pages
        assert "The English page is the original; the German page is its translation." in page.inner_text("body")
        assert "of the English page appears in the German page" in page.inner_text("body")
        assert page.locator("h2:has-text('English page — the original') + p a").get_attribute("href") \
            .startswith("file://")
        # numbered passages, coloured alike on both sides; a click on a number jumps to its counterpart
        n = page.locator("#src-text a.num-link").count()
        assert n >= 1 and page.locator("#tgt-text a.num-link").count() == n
        last = page.locator(f"#tgt-p{n}")
        assert last.get_attribute("class") == page.locator(f"#src-p{n}").get_attribute("class")
        page.evaluate("window.scrollTo(0, 0)")
        page.locator(f"#src-p{n} a.num-link").click()
        assert page.evaluate("location.hash") == f"#tgt-p{n}"
        top = last.evaluate("e => e.getBoundingClientRect().top")
        assert -2 <= top < page.evaluate("innerHeight"), top  # scrolled into view
        assert last.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"  # the target is outlined
        # printable: collapsed parts open before printing
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert page.locator("details").first.evaluate("d => d.open")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-seed-pair.png"))
        # index: stories; the filter box hides the ones that do not match
        page.goto((rep / "index.html").as_uri())
        assert page.locator("section.story").count() == 1
        assert "original" in page.locator("section.story tr").nth(1).inner_text()
        page.fill("#filter", "no such page")
        assert page.locator("section.story").first.is_hidden()
        page.fill("#filter", "german")
        assert page.locator("section.story").first.is_visible()
        page.locator("a:has-text('compare side by side')").click()
        assert page.url.endswith("pair-00001.html")
        browser.close()


def test_report_of_a_folder_that_is_not_a_mine_output(tmp_path):
    with pytest.raises(FileNotFoundError, match="docpairs.jsonl"):
        write_report(tmp_path, tmp_path / "r")


def test_mine_output_carries_what_the_report_needs(report):
    out, _ = report
    docs = [json.loads(x) for x in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(d["id"] for d in docs) == [EN_SEED, DE_SEED]
    for d in docs:
        assert all(d["main_text"][s:e] for s, e, _ in d["sentences"])


def _story_folder(folder: Path) -> Path:
    """A mine output written by hand: an English original with German and French translations, and a
    de-fr pair whose direction is unknown (the translations of one story, paired with each other)."""
    def doc(doc_id, lang, sentences):
        text = " ".join(sentences)
        spans, pos = [], 0
        for s in sentences:
            spans.append([text.index(s, pos), text.index(s, pos) + len(s), 1])
            pos = spans[-1][1]
        return {"id": doc_id, "url": f"https://{lang}.example/story", "lang": lang, "main_text": text,
                "lines": [[1, text, True, "HTML main content"], [2, "Menu", False, "boilerplate"]],
                "sentences": spans}

    docs = [doc("en", "en", ["Storm hits the coast.", "Many roads are closed."]),
            doc("de", "de", ["Sturm trifft die Küste.", "Viele Straßen sind gesperrt."]),
            doc("fr", "fr", ["La tempête frappe la côte.", "Bonjour."])]

    def pair(a, b, direction, cov_a, cov_b, score, beads):
        return ({"src_id": a, "tgt_id": b, "src_url": f"https://{a}.example/story",
                 "tgt_url": f"https://{b}.example/story", "src_lang": a, "tgt_lang": b, "score": score,
                 "direction": direction, "direction_evidence": ["the de text keeps untranslated fragments"]
                 if direction != "unknown" else [], "src_coverage": cov_a, "tgt_coverage": cov_b},
                {"src_id": a, "tgt_id": b, "beads": beads})

    pairs = [pair("en", "de", "en->de", 1.0, 1.0, 0.8, [[[0], [0], 0.6], [[1], [1], 0.5]]),
             pair("en", "fr", "en->fr", 0.5, 0.5, 0.5, [[[0], [0], 0.6], [[1], [], 0.0], [[], [1], 0.0]]),
             pair("de", "fr", "unknown", 0.5, 0.5, 0.45, [[[0], [0], 0.5]])]
    folder.mkdir()
    (folder / "documents.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    (folder / "docpairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p, _ in pairs), encoding="utf-8")
    (folder / "alignments.jsonl").write_text("".join(json.dumps(a) + "\n" for _, a in pairs), encoding="utf-8")
    return folder


def test_a_story_groups_its_versions_and_says_who_translated_whom(tmp_path):
    import re

    out = _story_folder(tmp_path / "out")
    rep = tmp_path / "report"
    write_report(out, rep)
    # an earlier report of this folder had a ninth page (its marker lists it)
    (rep / "pair-00009.html").write_text("from an earlier report", encoding="utf-8")
    marker = json.loads((rep / ".twinpages-report").read_text(encoding="utf-8"))
    (rep / ".twinpages-report").write_text(json.dumps(marker | {"files": marker["files"] + ["pair-00009.html"]}),
                                           encoding="utf-8")
    write_report(out, rep)
    assert sorted(p.name for p in rep.iterdir()) == [".twinpages-report", "index.html", "pair-00001.html",
                                                      "pair-00002.html", "pair-00003.html"]  # the stale page is gone
    index = (rep / "index.html").read_text(encoding="utf-8")
    assert index.count('<section class="story">') == 1  # three pages, one story
    roles = re.findall(r"<tr><td>(\w+)</td><td>(\w+)</td>", index)
    assert roles == [("English", "original"), ("German", "translation"), ("French", "translation")]
    assert "50% of the English page appears in the French page." in index
    assert "Which page is the original is not known" in index  # the de-fr pair
    assert 'href="https://en.example/story"' in index
    de_fr = (rep / "pair-00003.html").read_text(encoding="utf-8")
    assert "German ↔ French" in de_fr and "— the original" not in de_fr and "— the translation" not in de_fr
    en_de = (rep / "pair-00001.html").read_text(encoding="utf-8")
    assert "English → German" in en_de and "English page — the original" in en_de
    assert "The English page is the original; the German page is its translation." in en_de
    # both sentences follow each other on both sides: one passage, numbered 1 on both sides
    assert en_de.count('href="#tgt-p1"') == 1 and en_de.count('href="#src-p1"') == 1
    assert 'href="#tgt-p2"' not in en_de


def test_links_to_originals_are_only_web_or_file_addresses(tmp_path):
    from twinpages.report import _href

    assert _href("https://a.example/x?y=1") == "https://a.example/x?y=1"
    assert _href("javascript:alert(1)") is None and _href("data:text/html,x") is None
    page = tmp_path / "p.html"
    page.write_text("x", encoding="utf-8")
    assert _href(str(page)) == page.resolve().as_uri() and _href(f"{page}:3") == page.resolve().as_uri()


def test_a_folder_that_is_not_a_report_is_never_overwritten(tmp_path):
    """Issue 26 I: the user's index.html and pages are not a report's; a report's own folder keeps what
    the user added to it."""
    out = _story_folder(tmp_path / "out")
    mine = tmp_path / "notes"
    mine.mkdir()
    for name in ("index.html", "pair-notes.html", "pair-00999.html"):
        (mine / name).write_text(f"the user's {name}", encoding="utf-8")
    with pytest.raises(ValueError, match="not a twinpages report folder"):
        write_report(out, mine)
    assert sorted(p.read_text(encoding="utf-8") for p in mine.iterdir()) == [
        "the user's index.html", "the user's pair-00999.html", "the user's pair-notes.html"]
    rep = tmp_path / "report"
    write_report(out, rep)
    (rep / "pair-notes.html").write_text("the user's notes", encoding="utf-8")
    write_report(out, rep)  # again: a report folder is rewritten, the user's file stays
    assert (rep / "pair-notes.html").read_text(encoding="utf-8") == "the user's notes"
    from twinpages.cli import main

    assert main(["report", str(out), "-o", str(mine)]) == 2


def test_the_seed_story_with_a_copy_of_the_english_page(tmp_path, seed_dir):
    """A second English page holding the seed article in other boilerplate, with a paragraph of it dropped:
    one cluster of the two English pages in OUT/copies.jsonl, the German translation paired with the
    English pages, and the report's page shows all three."""
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(seed_dir / DE_SEED, inp / DE_SEED)
    shutil.copy(seed_dir / EN_SEED, inp / EN_SEED)
    en = (seed_dir / EN_SEED).read_text(encoding="utf-8").splitlines()
    body = [line for line in en if len(line.split()) > 12]  # the article's long lines, not its menus
    copy = ["Daily Reposts", "Home", "World", "Politics", "Sign in"] + body[:3] + body[4:] + [
        "Share on Facebook", "Related: more from our partners", "© Reposts Ltd"]
    (inp / "copy_en.txt").write_text("\n".join(copy) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    mine([inp], out)
    (cluster,) = [json.loads(x) for x in (out / "copies.jsonl").read_text(encoding="utf-8").splitlines()]
    assert cluster["lang"] == "en" and sorted(m["id"] for m in cluster["members"]) == sorted([EN_SEED, "copy_en.txt"])
    pairs = [json.loads(x) for x in (out / "docpairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(DE_SEED in (p["src_id"], p["tgt_id"]) for p in pairs)
    rep = tmp_path / "report"
    write_report(out, rep)
    pages = [p.read_text(encoding="utf-8") for p in sorted(rep.glob("pair-*.html"))]
    shown = [p for p in pages if "near-copy of this page in English" in p]
    assert shown and all(EN_SEED in p and "copy_en.txt" in p and DE_SEED in p for p in shown)
    # `serve` shows the same pages
    from test_server import Server, request
    from twinpages.server import ServeConfig, create_app, pair_id

    # one story: the two English pages (copies) and the German page
    assert (rep / "index.html").read_text(encoding="utf-8").count('<section class="story">') == 1
    server = Server(create_app(out, ServeConfig()))
    try:
        served = [request(f"{server.url}/ui/pairs/{pair_id(p['src_id'], p['tgt_id'])}")[1] for p in pairs]
        _, story, _ = request(f"{server.url}/pairs?story=copy_en.txt")
        _, none, _ = request(f"{server.url}/pairs?story=no-such-page")
    finally:
        server.stop()
    assert any("near-copy of this page in English" in page and "copy_en.txt" in page for page in served)
    assert story["total"] == len(pairs) and any(DE_SEED in (p["src_id"], p["tgt_id"]) for p in story["pairs"])
    assert none["total"] == 0
    # `query` answers with the copies beside the twins: for a run document, and for a page new to the run
    from twinpages.query import RunIndex

    run = RunIndex(out)
    by_id = run.query_id("copy_en.txt")
    assert [c.document for c in by_id.copies] == [EN_SEED] and by_id.copies[0].similarity >= 0.8
    new_page = run.query_bytes((seed_dir / EN_SEED).read_bytes(), "again.txt", "txt")
    assert sorted(c.document for c in new_page.copies) == sorted([EN_SEED, "copy_en.txt"])
    assert any(t.other == DE_SEED for t in new_page.twins)
    assert new_page.record()["copies"][0]["url"]
