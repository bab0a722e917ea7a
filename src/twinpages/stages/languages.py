"""Which encoder embeds which language pair: a run's language plan.

An encoder is chosen per language pair (USE-m3 where it covers both languages, multilingual-e5-small
otherwise: stages/embed.py), so a language's documents may need several encoders, one per language it
pairs with. The plan is computed once from the settings and the languages the read phase found, kept
in the run's state, and read by the embed phase (which encoders each document needs), the candidate
search (which pairs to search, in which encoder's space) and `query` (the same rule for a language the
run may not have).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from .embed import encoders_for, pair_encoder


def wanted(config, a: str, b: str) -> bool:
    """Whether the settings mine the pair of languages a and b (``-l``; none given: every pair)."""
    pairs = {tuple(sorted(lp)) for lp in config.candidates.langs}
    return not pairs or tuple(sorted((a, b))) in pairs


@dataclass(frozen=True, slots=True)
class LanguagePlan:
    # each language of the run (None: unknown) with the encoders its documents need
    encoders: tuple[tuple[str | None, tuple[str, ...]], ...]
    # the language pairs searched for candidates: (a, b, encoder), a < b, in order
    pairs: tuple[tuple[str, str, str], ...]

    @classmethod
    def of(cls, config, langs: Iterable[str | None]) -> LanguagePlan:
        """The plan for these languages (those that have documents) under these settings."""
        langs = set(langs)
        needed = encoders_for(config.embed, langs)
        encoders = tuple(sorted(((k, tuple(sorted(v))) for k, v in needed.items()), key=lambda kv: str(kv[0])))
        present = sorted(lang for lang in langs if lang)
        pairs = tuple((a, b, pair_encoder(config.embed, a, b)) for a, b in combinations(present, 2)
                      if wanted(config, a, b))
        return cls(encoders, pairs)

    def needed(self) -> dict[str | None, set[str]]:
        return {lang: set(names) for lang, names in self.encoders}

    def by_encoder(self) -> dict[str, list[tuple[str, str]]]:
        """The searched pairs, by the encoder whose space they are searched in (encoders in name order)."""
        out: dict[str, list[tuple[str, str]]] = {}
        for a, b, encoder in self.pairs:
            out.setdefault(encoder, []).append((a, b))
        return dict(sorted(out.items()))

    def to_dict(self) -> dict:
        return {"encoders": [[lang, list(names)] for lang, names in self.encoders],
                "pairs": [list(p) for p in self.pairs]}

    @classmethod
    def from_dict(cls, d: dict) -> LanguagePlan:
        return cls(tuple((lang, tuple(names)) for lang, names in d["encoders"]), tuple(tuple(p) for p in d["pairs"]))
