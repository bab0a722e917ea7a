import pytest

from twinpages.data import Document, Line
from twinpages.stages.segment import SegmentConfig, segment_document, split_sentences


@pytest.mark.parametrize("lang, text, expected", [
    ("de", "Die beiden sprachen zuletzt am 18. Februar, eine Woche bevor Russland begann. Damit endet eine Zeit.",
     ["Die beiden sprachen zuletzt am 18. Februar, eine Woche bevor Russland begann.", "Damit endet eine Zeit."]),
    ("de", "Er sagte: „Wir kommen morgen.“ Dann ging er.", ["Er sagte: „Wir kommen morgen.“", "Dann ging er."]),
    ("de", "Sie hat z. B. die ca. 600 m hohe Wand im 19. Jahrhundert bestiegen. Sie ist steil.",
     ["Sie hat z. B. die ca. 600 m hohe Wand im 19. Jahrhundert bestiegen.", "Sie ist steil."]),
    ("de", "Die Russen „haben dies bisher abgelehnt“. sich beteiligen.“",
     ["Die Russen „haben dies bisher abgelehnt“. sich beteiligen.“"]),
    ("en", "Joint Chiefs Chairman Gen. Mark Milley called. The U.S. Army agreed.",
     ["Joint Chiefs Chairman Gen. Mark Milley called.", "The U.S. Army agreed."]),
    ("fr", "M. Dupont est arrivé le 1er mai. Il est reparti.",
     ["M. Dupont est arrivé le 1er mai.", "Il est reparti."]),
    ("ja", "今日は晴れです。明日は雨でしょう！", ["今日は晴れです。", "明日は雨でしょう！"]),
    ("xx", "An unknown language. Falls back to English rules.",
     ["An unknown language.", "Falls back to English rules."]),
    ("de", "   ", []),
])
def test_split_sentences(lang, text, expected):
    assert split_sentences(text, lang) == expected


def test_sentences_carry_offsets_into_main_text():
    lines = [Line(3, "Erster Satz. Zweiter Satz.", is_main=True), Line(5, "Dritter Satz.", is_main=True)]
    doc = Document(id="d", raw="", lang="de", lines=lines, main_text="Erster Satz. Zweiter Satz.\nDritter Satz.")
    segment_document(doc)
    assert [(s.text, s.line) for s in doc.sentences] == [("Erster Satz.", 3), ("Zweiter Satz.", 3),
                                                         ("Dritter Satz.", 5)]
    assert all(doc.main_text[s.start:s.end] == s.text for s in doc.sentences)


def test_overlong_sentence_is_cut_not_dropped():
    text = " ".join(["word"] * 1000)
    doc = Document(id="d", raw=text, lang="en", lines=[Line(1, text, is_main=True)], main_text=text)
    segment_document(doc, SegmentConfig(max_sentence_chars=500))
    assert len(doc.sentences) > 1 and all(len(s.text) <= 500 for s in doc.sentences)
    assert sum(len(s.text.split()) for s in doc.sentences) == 1000
