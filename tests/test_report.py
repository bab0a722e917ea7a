"""The static report: built from a real `mine` output, escaped, and checked in a real browser."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import DE_SEED, EN_SEED, REPO, gold_pairs_found, normalise
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
    _, rep = report
    pages = sorted(p.name for p in rep.iterdir())
    assert pages == ["index.html", "pair-00001.html"]
    for page in rep.iterdir():
        html = page.read_text(encoding="utf-8")
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
        assert "<link" not in html and "src=" not in html.replace("src=x", "")


def test_hostile_text_is_escaped(report):
    _, rep = report
    html = (rep / "pair-00001.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html  # boilerplate, escaped


def _chromium():
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright (test extra) is not installed")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make test installs it where apt-get is allowed)")
    return playwright


def test_seed_pair_page_in_a_real_browser(report, gold, seed_dir):
    sync_playwright = _chromium().sync_playwright
    _, rep = report
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1300, "height": 1100})
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto((rep / "pair-00001.html").as_uri())
        rows = page.locator("#beads tr.aligned")
        assert rows.count() == 12
        aligned = [(rows.nth(k).locator("td").nth(0).inner_text(), rows.nth(k).locator("td").nth(1).inner_text())
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
        assert page.locator("#src-text mark.aligned").count() == 12
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-seed-pair.png"))
        # index: the filter box hides rows that do not match
        page.goto((rep / "index.html").as_uri())
        assert page.locator("#pairs tbody tr").count() == 1
        page.fill("#filter", "no such page")
        assert page.locator("#pairs tbody tr").first.is_hidden()
        page.fill("#filter", "en->de")
        assert page.locator("#pairs tbody tr").first.is_visible()
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
