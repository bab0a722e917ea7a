import os
import pickle

import numpy as np
import pytest

from twinpages.backends.encoders import USEM3, get_encoder


@pytest.fixture(scope="module")
def encoder():
    return USEM3(threads=2)


def test_sentencepiece_library_gives_the_same_tokens_as_the_shipped_tokenizer(encoder, seed_dir):
    """We swap usem3's pure-Python tokenizer for the sentencepiece library; ids must not change."""
    import sentencepiece
    import usem3
    from usem3.tokenizer import UseTokenizer

    model = os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model")
    fast, pure = sentencepiece.SentencePieceProcessor(model_file=model), UseTokenizer(model)
    lines = [t for name in sorted(os.listdir(seed_dir)) if name.endswith(".txt")
             for t in (seed_dir / name).read_text(encoding="utf-8").splitlines() if t.strip()]
    # blank text differs ([1, 2] against [1, 0, 2]): the pipeline never embeds blank sentences
    lines += ["Ünïcödé — „Zitat“ 「引用」", "x" * 3000, " leading and trailing  spaces "]
    for text in lines:
        assert fast.encode(text, out_type=int, add_bos=True, add_eos=True) == \
            pure.encode(text, out_type=int, add_bos=True, add_eos=True), text


def test_vectors_are_normalised_and_translations_are_close(encoder):
    v = encoder.encode([
        "The two last spoke on February 18, a week before Russia launched its invasion of Ukraine.",
        "Die beiden sprachen zuletzt am 18. Februar, eine Woche bevor Russland mit der Invasion der Ukraine begann.",
        "Journalisten im Fall von Volksverhetzung in Hongkong verurteilt.",
    ])
    assert v.shape == (3, 512) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > 0.7 and v[0] @ v[2] < 0.3


def test_empty_batch(encoder):
    assert encoder.encode([]).shape == (0, 512)


def test_encoder_pickles_without_its_model(encoder):
    encoder.encode(["load the model"])
    clone = pickle.loads(pickle.dumps(encoder))
    assert clone._model is None and clone.threads == 2
    assert len(pickle.dumps(encoder)) < 1000


def test_registry():
    assert isinstance(get_encoder("usem3", threads=1), USEM3)
    with pytest.raises(ValueError, match="unknown encoder"):
        get_encoder("laser9")


def test_overlap_shortcut_matches_direct_embeddings(encoder):
    """Runs of 1-3 sentences assembled from token features equal encoding the joined text."""
    from conftest import shared_path
    from twinpages.backends.encoders import encode_overlaps

    sents = (shared_path("data", "sentalign", "textberg") / "test1.de").read_text(encoding="utf-8").splitlines()[:60]
    sents += ["Kurz.", "Ein ganz kurzer Satz.", "Noch einer."]  # short sentences take the direct path
    fast = encode_overlaps(encoder, sents, [1, 2, 3])
    for k in (1, 2, 3):
        direct = encoder.encode([" ".join(sents[i:i + k]) for i in range(len(sents) - k + 1)])
        assert fast[k].shape == direct.shape
        assert (fast[k] * direct).sum(axis=1).min() >= 0.999, k


def test_joined_text_tokenizes_as_the_concatenation(encoder):
    """The shortcut's premise: tok("A B") == tok("A") + tok("B") for SentencePiece with this model."""
    from conftest import shared_path

    encoder.encode(["load"])
    sp = encoder._model._sp
    lines = (shared_path("data", "sentalign", "textberg") / "test2.fr").read_text(encoding="utf-8").splitlines()
    lines = [x.strip() for x in lines if x.strip()]
    for a, b in zip(lines, lines[1:], strict=False):
        assert sp.encode(a + " " + b) == sp.encode(a) + sp.encode(b)


ENCODE_ON_THREADS = """
import sys, numpy as np
from twinpages.backends.encoders import USEM3
texts = [f"Sentence {i}: " + "the package provides tools for translation " * (1 + i % 5) for i in range(300)]
vectors = [USEM3(threads=t).encode(texts) for t in (1, 2, 3)]
runs = [np.concatenate([v for k, v in sorted(USEM3(threads=t).encode_overlaps(texts[:80], [1, 2, 3]).items())])
        for t in (1, 2, 3)]
np.save(sys.argv[1], np.stack(vectors))
np.save(sys.argv[1] + ".runs.npy", np.stack(runs))
"""


@pytest.mark.parametrize("kernel", ["Haswell", "SkylakeX"])
def test_vectors_do_not_depend_on_the_threads(kernel, tmp_path):
    """Texts are encoded in fixed chunks on one BLAS thread each, so the threads change the speed only: on
    the Haswell kernel (AVX2 processors) a product on two BLAS threads differs in its last bits."""
    from twinpages.backends.blas import cpu_flags, kernel_for

    if kernel == "SkylakeX" and kernel_for(cpu_flags()) != "SkylakeX":
        pytest.skip("this processor has no AVX-512 for the SkylakeX kernel")
    import subprocess
    import sys

    env = dict(os.environ, OPENBLAS_CORETYPE=kernel)
    subprocess.run([sys.executable, "-c", ENCODE_ON_THREADS, str(tmp_path / "v.npy")], env=env, check=True)
    for saved in ("v.npy", "v.npy.runs.npy"):  # sentences, and runs of consecutive sentences (the aligner's)
        one, two, three = np.load(tmp_path / saved)
        assert np.array_equal(one, two) and np.array_equal(one, three), saved
