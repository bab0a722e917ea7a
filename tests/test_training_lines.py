"""The line classifier's data recipe (training/lines/data.py): the labels and groups its figures rest on."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training" / "lines"))
import data  # noqa: E402


def test_a_table_of_contents_entry_is_not_article_text_because_its_heading_is():
    page = ["Chapter 1. Basics", "Contents", "1.1. What is this?", "1.2. Why?", "1.1. What is this?",
            "This document answers questions about the system.", "1.2. Why?", "Because people ask them.", "Next"]
    article = ["Chapter 1. Basics", "1.1. What is this?", "This document answers questions about the system.",
               "1.2. Why?", "Because people ask them."]
    assert data.label_by_alignment(page, article) == [True, False, False, False, True, True, True, True, False]


def test_unspaced_scripts_are_labelled_by_characters():
    """A Japanese line has no spaces: word 3-grams would never match, character 3-grams do."""
    expected = "東京の天気は晴れです。明日は雨が降るでしょう。"
    lines = ["東京の天気は晴れです。", "ログイン", "明日は雨が降るでしょう。"]
    assert data.label(lines, expected) == [True, False, True]


def test_site_repeats_count_pages_of_one_folder_only():
    def page(folder, lines):
        return data.Page("x", "site", lines, [True] * len(lines), "", folder=folder)

    pages = [page("m/en", ["Next", text]) for text in ("one", "two", "three")] + [page("m/de", ["Next", "Weiter"]),
                                                                        page(None, ["Next"])]
    repeats = data.site_repeats(pages)
    from twinpages.stages.repeats import line_hash

    assert repeats[0] == {line_hash("Next")} and repeats[3] == set() and repeats[4] is None


def test_script_families():
    assert [data.family(x) for x in ("ru-RU", "zh_CN", "fa-IR", "el", "pt-BR", "hi", "th")] == [
        "Cyrillic", "CJK", "Arabic/Hebrew", "Greek", "Latin", "Indic", "Thai/Burmese/Khmer"]
