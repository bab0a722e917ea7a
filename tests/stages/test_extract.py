import pytest

from conftest import DE_SEED, EN_SEED
from twinpages.data import Document
from twinpages.stages.extract import BAD, GOOD, HEADING, NEAR, Extractor, classify_line


@pytest.fixture(scope="module")
def extractor():
    return Extractor()


def kept_lines(extractor, path) -> set[int]:
    doc = extractor.extract(Document(id=path.name, raw=path.read_text(encoding="utf-8")))
    return {line.number for line in doc.lines if line.is_main}


def test_english_seed_keeps_body_and_drops_boilerplate(extractor, seed_dir, gold):
    path = seed_dir / EN_SEED
    kept = kept_lines(extractor, path)
    main = set(gold["source"]["main_lines"])
    optional = set(gold["source"]["optional_main_lines"])
    assert main <= kept
    nonempty = {i + 1 for i, t in enumerate(path.read_text(encoding="utf-8").splitlines()) if t.strip()}
    boilerplate = nonempty - main - optional
    dropped = boilerplate - kept
    assert len(dropped) / len(boilerplate) >= 0.95


def test_german_seed_keeps_lines_1_to_9(extractor, seed_dir, gold):
    kept = kept_lines(extractor, seed_dir / DE_SEED)
    assert kept == set(gold["translation"]["main_lines"]) == set(range(1, 10))


@pytest.mark.parametrize("line, lang, expected", [
    ("The two have not spoken since February 11, one week before the last call between Austin and Shoigu.",
     "en", GOOD),
    ("„Kaffee-Wegbereiter. Zertifizierter Popkulturliebhaber. Ein ärgerlich bescheidener Spieler.“", "de", BAD),
    ("More Stories", "en", BAD),
    ("Facebook Twitter Pinterest LinkedIn Tumblr Email", "en", BAD),
    ("Reach out to us at ads@papalinc.com or +17189246727 to advertise with us.", "en", BAD),
    ("A mother has revealed her horror after the ‘evil scumbag’ who killed her six-month-old son…", "en", BAD),
    ("Journalisten im Fall von Volksverhetzung in Hongkong verurteilt", "de", HEADING),
    ("Er kam nicht.", "de", NEAR),
])
def test_classify_line(line, lang, expected):
    assert classify_line(line, lang)[0] == expected


def test_a_page_with_no_prose_keeps_nothing(extractor):
    doc = extractor.extract(Document(id="menu", raw="Home\nNews\nSports\nLogin\nContact us"))
    assert doc.main_text == "" and all(not line.is_main and line.reason for line in doc.lines)


def test_deep_nesting_is_refused_and_real_nesting_is_not():
    from twinpages.backends.html import PathologicalHTML, check_complexity

    body = "<p>Ein Satz steht hier ganz allein, und er ist lang genug.</p>"
    check_complexity("<html><body>" + "<div>" * 300 + body + "</div>" * 300 + "</body></html>")
    check_complexity("<html><body>" + "<li><p>item" * 3000 + "</body></html>")  # unclosed items: not nesting
    check_complexity("<svg>" + "<path d='M0 0'/>" * 5000 + "</svg>")  # self-closing in SVG
    check_complexity("<div>" + "<span>a</span></b>" * 5000 + "</div>")  # a stray end tag closes nothing
    for n in (800, 200_000):  # the exact check, and the linear pre-scan (before any parser sees it)
        with pytest.raises(PathologicalHTML, match="nested"):
            check_complexity("<html><body>" + "<div>" * n + body + "</div>" * n + "</body></html>")
    # what browsers nest although it looks closed: an end tag of nothing open, "/>" on an HTML element
    for soup in ("<div></x>" * 100_000, "<div/>" * 100_000):
        with pytest.raises(PathologicalHTML, match="nested") as e:
            check_complexity(soup)
        assert e.value.kind == "html_too_deep"
    with pytest.raises(PathologicalHTML, match="elements") as e:
        check_complexity("<span>a</span>" * 1_000, max_elements=999)
    assert e.value.kind == "html_too_complex"
    check_complexity("<span>a</span>" * 1_000, max_elements=1_000)
