"""``setting(...)``: a config field that declares its command-line flag and whether it changes results.

Kept apart from config.py (which imports every stage's config) so that the stages can use it.
"""

from __future__ import annotations

from dataclasses import MISSING, field


def setting(default=MISSING, *, flag: str | None = None, help: str = "", choices=None, parse=None,
            signed: bool = True, default_factory=MISSING):
    """A config field. ``flag``: its command-line option; ``signed=False``: it does not change results
    (threads, cache paths), so it stays out of the run signature; ``parse``: str -> value for the flag."""
    meta = {"flag": flag, "help": help, "choices": choices, "parse": parse, "signed": signed}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def comma_list(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())
