"""The data recipe: WMT21 and WMT23 general-task test sets as document pairs with a known original side and a
known translator (human reference or machine system output).

Sources (public, read from git without a work tree, so a bare clone or `fetch` snapshot will do):
- https://github.com/wmt-conference/wmt21-news-systems at f41750dadbf2ba6ab01ca5380347d253298a3427
- https://github.com/wmt-conference/wmt23-news-systems at 99b5b9de2a535c2c5542fd4ec404682903299894

Since WMT19 every test set is source-original: in `newstest2021.de-en` the German side is the original,
its references and every system output are translations. Document ids come from `xml/*.all.xml` where the
snapshot has it (WMT21 ja-en, en-ja, ru-en, de-fr, fr-de); elsewhere (`txt/`, one segment per line) documents
are cut where a headline begins (`headline_starts`: checked against the XML ids where both exist).
Test-suite documents in the XML files are skipped. Other WMT years are kept aside for checking: never read.
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# the languages twinpages' default encoder (USE-m3) covers; other test sets are not read
LANGS = {"en", "de", "fr", "ru", "zh", "ja"}
WMT21_DIRECTIONS = ["en-de", "de-en", "en-ru", "ru-en", "en-zh", "zh-en", "en-ja", "ja-en", "de-fr", "fr-de"]
WMT23_DIRECTIONS = ["en-de", "de-en", "en-ru", "ru-en", "en-zh", "zh-en", "en-ja", "ja-en"]
LLM_SYSTEMS = {"GPT4-5shot"}  # WMT23's one system built on a large language model (the rest: NMT, online MT)


@dataclass
class Translation:
    name: str  # "ref:A" or the system's name
    translator: str  # "human" | "machine"
    family: str  # "human", "nmt" or "llm"
    lines: list[str]


@dataclass
class TestSet:
    year: int
    src_lang: str  # the original's language
    tgt_lang: str
    source: list[str]  # one segment per line
    docs: list[tuple[str, list[int]]]  # (document id, its line numbers)
    translations: list[Translation]

    @property
    def name(self) -> str:
        return f"wmt{self.year % 100}.{self.src_lang}-{self.tgt_lang}"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(_git_dir(repo)), *args], check=True, capture_output=True,
                          text=True).stdout


def _git_dir(repo: Path) -> Path:
    return repo / ".git" if (repo / ".git").exists() else repo


def _files(repo: Path, folder: str) -> list[str]:
    return _git(repo, "ls-tree", "--name-only", "HEAD", folder + "/").split()


def _show(repo: Path, path: str) -> str:
    return _git(repo, "show", f"HEAD:{path}")


def _lines(repo: Path, path: str) -> list[str]:
    return _show(repo, path).rstrip("\n").split("\n")


_END = re.compile(r"[.!?…:;\"'”“»«)\]。！？」』）]\s*$")


def headline_starts(lines: list[str]) -> list[int]:
    """Where a news document begins in a one-segment-per-line test set: a short line without sentence-final
    punctuation (a headline) that follows a line with it."""
    starts = [0]
    for i in range(1, len(lines)):
        line = lines[i].strip()
        if len(line) < 150 and not _END.search(line) and _END.search(lines[i - 1].strip() or "."):
            starts.append(i)
    return starts


def docs_from_starts(starts: list[int], n: int, prefix: str) -> list[tuple[str, list[int]]]:
    bounds = starts + [n]
    return [(f"{prefix}#{k}", list(range(bounds[k], bounds[k + 1]))) for k in range(len(starts))]


def _xml_set(repo: Path, path: str, year: int, sl: str, tl: str) -> TestSet:
    root = ET.fromstring(_show(repo, path))
    source: list[str] = []
    docs: list[tuple[str, list[int]]] = []
    outputs: dict[tuple[str, str], list[str]] = {}
    for doc in root.findall("doc"):
        if doc.get("testsuite"):
            continue
        segs = [s.text or "" for s in doc.find("src").iter("seg")]
        docs.append((doc.get("id"), list(range(len(source), len(source) + len(segs)))))
        source += segs
        for node in doc:
            if node.tag == "ref":
                key = ("ref:" + (node.get("translator") or "A"), "human")
            elif node.tag == "hyp":
                key = (node.get("system"), "machine")
            else:
                continue
            out = [s.text or "" for s in node.iter("seg")]
            if len(out) != len(segs):
                continue
            outputs.setdefault(key, []).extend(out)
    translations = [Translation(name, kind, _family(name, kind), lines) for (name, kind), lines in outputs.items()
                    if len(lines) == len(source)]
    return TestSet(year, sl, tl, source, docs, translations)


def _family(name: str, kind: str) -> str:
    if kind == "human":
        return "human"
    return "llm" if name in LLM_SYSTEMS else "nmt"


def _txt_set(repo: Path, year: int, prefix: str, sl: str, tl: str) -> TestSet:
    source = _lines(repo, f"txt/sources/{prefix}.{sl}-{tl}.src.{sl}")
    translations = []
    for path in _files(repo, "txt/references"):
        if f"{prefix}.{sl}-{tl}.ref." in path:
            name = "ref:" + path.split(".ref.")[1].split(".")[0].removeprefix("ref")
            translations.append(Translation(name, "human", "human", _lines(repo, path)))
    for path in _files(repo, "txt/system-outputs"):
        if f"{prefix}.{sl}-{tl}.hyp." in path:
            name = path.split(".hyp.")[1].rsplit(".", 1)[0]
            translations.append(Translation(name, "machine", _family(name, "machine"), _lines(repo, path)))
    translations = [t for t in translations if len(t.lines) == len(source)]
    docs = docs_from_starts(headline_starts(source), len(source), f"{prefix}.{sl}-{tl}")
    return TestSet(year, sl, tl, source, docs, translations)


def add_arguments(ap) -> None:
    """The options both WMT recipes take: the two snapshots, the output folder, the cache, the sets."""
    ap.add_argument("--wmt21", type=Path)
    ap.add_argument("--wmt23", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cache", help="embedding cache (SQLite)")
    ap.add_argument("--only", nargs="*", help="test set names, e.g. wmt21.en-de")


def build_each(sets: Iterator[TestSet], out: Path, only: list[str] | None, build) -> None:
    """``build(test_set, path) -> records`` for each test set (or those named in ``only``) into
    OUT/NAME.jsonl, written as NAME.part and renamed when whole: a finished set is not built again."""
    import sys

    for ts in sets:
        if only and ts.name not in only:
            continue
        path = out / f"{ts.name}.jsonl"
        if path.exists():
            continue
        tmp = path.with_suffix(".part")
        n = build(ts, tmp)
        tmp.rename(path)
        print(f"{ts.name}: {n} pairs", file=sys.stderr, flush=True)


def load(wmt21: Path | None, wmt23: Path | None) -> Iterator[TestSet]:
    if wmt21:
        xml = set(_files(wmt21, "xml"))
        for d in WMT21_DIRECTIONS:
            sl, tl = d.split("-")
            path = f"xml/newstest2021.{d}.all.xml"
            try:
                yield _xml_set(wmt21, path, 2021, sl, tl) if path in xml else _txt_set(wmt21, 2021, "newstest2021",
                                                                                        sl, tl)
            except (subprocess.CalledProcessError, ET.ParseError):  # a file the snapshot lacks (LFS, too large)
                yield _txt_set(wmt21, 2021, "newstest2021", sl, tl)
    if wmt23:
        for d in WMT23_DIRECTIONS:
            sl, tl = d.split("-")
            yield _txt_set(wmt23, 2023, "generaltest2023", sl, tl)
