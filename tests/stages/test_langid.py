import pytest

from twinpages.backends.lid import get_identifier
from twinpages.data import Document, Sentence
from twinpages.stages.langid import LangIdConfig, LanguageIdentifier


@pytest.mark.parametrize("backend", ["fasttext", "cld2"])
@pytest.mark.parametrize("text, lang", [
    ("Die beiden sprachen zuletzt am 18. Februar, eine Woche bevor Russland mit der Invasion begann.", "de"),
    ("The two last spoke on February 18, a week before Russia launched its invasion of Ukraine.", "en"),
    ("Les deux hommes se sont parlé pour la dernière fois le 18 février, une semaine avant l'invasion.", "fr"),
])
def test_backends_identify_sentences(backend, text, lang):
    code, score = get_identifier(backend).detect(text)
    assert code == lang and 0 < score <= 1


@pytest.mark.parametrize("backend", ["fasttext", "cld2"])
def test_nothing_to_identify(backend):
    assert get_identifier(backend).detect("  \x00 ") == (None, 0.0)


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match="nolid"):
        get_identifier("nolid")


def test_stage_labels_document_and_sentences(seed_dir):
    from conftest import DE_SEED

    lid = LanguageIdentifier(LangIdConfig())
    raw = (seed_dir / DE_SEED).read_text(encoding="utf-8")
    doc = Document(id="de", raw=raw, main_text=raw.splitlines()[1])
    lid.identify(doc)
    assert doc.lang == "de" and doc.lang_score > 0.5
    doc.sentences = [Sentence("More Stories from our website and our partners", 0, 10, 11)]
    lid.label_sentences(doc)
    assert doc.sentences[0].lang == "en"


def test_reader_language_is_kept():
    doc = Document(id="x", raw="Hello world, this is English.", lang="fr", main_text="Hello world, this is English.")
    LanguageIdentifier().identify(doc)
    assert doc.lang == "fr"
