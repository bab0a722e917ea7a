"""Document alignment: decide which candidate pairs are translations, from sentence-level evidence.

Each candidate's sentences are aligned; the pair is a translation when enough of at least one side
aligns with close-translation similarity (a partial translation covers all of the shorter side and
part of the longer). Same-story news in two languages shares topics and names, but few sentences
align above chance, which is what separates it from a translation (Thompson & Koehn 2020).

Which side is the original, and whether a machine translated it, is provenance.py's verdict (a model per
language pair, with probabilities). For a language pair that model was not trained on, the direction is
read from two kinds of evidence alone:
- untranslated fragments: the translation keeps a phrase of the original's language verbatim, such as
  "[to establish communications]" in the German seed (strong);
- coverage asymmetry: a page that translates half of another is covered almost wholly by it, while
  the original is covered by half (weaker: an original can also be a short page that a longer
  translation expands). When no evidence points either way the direction is "unknown".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..data import DocPair, Document, SentPair
from ..settings import setting
from .provenance import ProvenanceModel, decided, measure, untranslated_fragments
from .sentalign import OverlapFn, SentAlignConfig, align

_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class DocAlignConfig:
    min_aligned: int = setting(2, low=0)  # confident beads needed (fewer when a side has fewer sentences)
    # A bead is evidence of translation when its score reaches this (the seed pair's beads score
    # 0.44-0.66, same-story news sentences at most 0.40). Coverage counts the sentences of such beads only.
    min_bead_score: float = setting(0.4, low=-1.0, high=1.0)
    min_coverage: float = setting(0.3, low=0.0, high=1.0)  # the better-covered side must be at least this much aligned
    min_score: float = setting(0.35, flag="--min-score", low=0.0, high=1.0,
                               help="document-pair score threshold (see score_pair)")
    # coverage ratio below which the less covered side is taken as the original
    asymmetry: float = setting(0.75, low=0.0, high=1.0)
    # Short documents (a product blurb, a package description) have too few sentences for coverage to
    # say much. A document-vector margin this high (DDTP: 1 % of gold pairs below 1.08, 1 % of other
    # candidates above 1.07) plus one bead whose raw cosine reaches margin_bead_cosine also makes a pair:
    # with USE-m3, 99 % of DDTP gold pairs have a bead >= 0.756, 99 % of same-story SemEval news none
    # above 0.722. The cosine is encoder-specific; the pipeline turns this path off for encoders
    # without a measured value.
    min_margin: float = setting(1.1, low=0.0)
    margin_bead_cosine: float | None = setting(0.75, low=-1.0, high=1.0)
    # Decide with approximate multi-sentence runs first (10x cheaper) and encode the runs only for
    # accepted pairs (stages/decision.Decider.decide). On 2,000 DDTP candidates the decision differed from
    # the encoded-runs one in 22 cases (0.3 % of gold pairs lost, 1 % more false ones rejected).
    quick_first: bool = True
    # the quick pass's largest bead side (0: as the exact pass): its dynamic program costs per bead
    # type, 3 types with 2 against 10 with 4
    quick_max_bead: int = setting(2, low=0)
    # The exact pass of an accepted pair encodes runs only where the quick pass was not 1-1 and searches
    # a band around its path (sentalign.align's guide): BENCHMARKS.md, "Long pages".
    guided: bool = True
    # In the guided pass, runs the encoder's shortcut cannot assemble (USE-m3: a run touching a sentence
    # of under 8 tokens: headings, commands, list items) are encoded one by one, which costs more than
    # embedding the documents did; False approximates them by their sentences' mean vector.
    encode_short_runs: bool = False
    # The cheap first verdict (anchored_share): a candidate whose sentences have too few mutual nearest
    # neighbours running in order is rejected before any alignment. An anchor is a mutual nearest pair
    # at least anchor_level above the pair's means (USE-m3's scale); a pair needs monotone anchors for
    # anchor_share of the coverage that acceptance requires of its shorter side. Pairs that the margin
    # path may accept (short documents, candidate margin >= min_margin) skip it.
    prefilter: bool = True
    anchor_level: float = setting(0.2, low=0.0, high=2.0)
    anchor_share: float = setting(0.25, low=0.0, high=1.0)
    # one candidate pair's alignment past this ends in a too_slow record (an execution limit: unsigned)
    max_pair_seconds: float = setting(120.0, flag="--max-pair-seconds", signed=False, low=0,
                                      help="time budget for deciding one candidate pair (0: none)")
    # Direction and translator verdicts by the provenance model (stages/provenance.py); off: the rules only
    provenance: bool = setting(True, flag="--no-provenance", help="no direction/translator model: direction "
                               "from untranslated fragments and coverage only, translator unknown")
    provenance_model: str | None = None  # a model file written by training/provenance/train.py; None: shipped
    sentalign: SentAlignConfig = field(default_factory=SentAlignConfig)


def confident(beads: list[SentPair], min_score: float) -> list[SentPair]:
    return [b for b in beads if b.src_idx and b.tgt_idx and b.score >= min_score]


def coverage(beads: list[SentPair], n: int, side: str) -> float:
    """Share of a side's ``n`` sentences that lie in the given beads."""
    if n == 0:
        return 0.0
    return len({i for b in beads for i in getattr(b, side)}) / n


def score_pair(beads: list[SentPair], src_cov: float, tgt_cov: float) -> float:
    """Mean raw cosine of the confident beads times the better coverage: 0 for unrelated pages, about
    0.8 for a full translation with USE-m3; a partial translation scores by its covered side."""
    aligned = [b.cosine for b in beads]
    if not aligned:
        return 0.0
    return float(np.mean(aligned)) * max(src_cov, tgt_cov)


def passage_spans(doc: Document, beads: list[SentPair], side: str) -> list[tuple[int, int]]:
    """Character spans of the main text covered by the beads' sentences on one side, consecutive
    sentences merged into one passage."""
    idx = sorted({i for b in beads for i in getattr(b, side)})
    spans: list[tuple[int, int]] = []
    for k, i in enumerate(idx):
        s = doc.sentences[i]
        if k and i == idx[k - 1] + 1:
            spans[-1] = (spans[-1][0], s.end)
        else:
            spans.append((s.start, s.end))
    return spans


def infer_direction(pair_beads: list[SentPair], lang_a: str, lang_b: str,
                    cov_a: float, cov_b: float, asymmetry: float) -> tuple[str | None, list[str]]:
    """Return ('a' | 'b' | None for the original side, evidence sentences)."""
    evidence = []
    kept_in_b = untranslated_fragments(pair_beads, lang_a, lang_b)
    kept_in_a = untranslated_fragments([b.turned() for b in pair_beads], lang_b, lang_a)
    if kept_in_b and not kept_in_a:
        evidence.append(f"the {lang_b} text keeps untranslated {lang_a}: " + "; ".join(f"'{f}'" for f in kept_in_b))
        return "a", evidence
    if kept_in_a and not kept_in_b:
        evidence.append(f"the {lang_a} text keeps untranslated {lang_b}: " + "; ".join(f"'{f}'" for f in kept_in_a))
        return "b", evidence
    hi, lo = max(cov_a, cov_b), min(cov_a, cov_b)
    if hi > 0 and lo / hi < asymmetry:
        original = "a" if cov_a < cov_b else "b"
        evidence.append(f"partial translation: {lang_a} coverage {cov_a:.2f}, {lang_b} coverage {cov_b:.2f}; "
                        "the wholly covered side is taken as the translation")
        return original, evidence
    return None, evidence


def align_documents(a: Document, b: Document, encoder: str, overlaps: OverlapFn,
                    config: DocAlignConfig = DocAlignConfig(), candidate_score: float = 0.0,
                    orient: bool = True, guide: list[SentPair] | None = None,
                    anchors: list[tuple[int, int]] | None = None, with_model: bool = True) -> DocPair:
    """Align two documents' sentences and describe the pair (whether or not it is a translation).

    With ``orient`` the pair is turned so that ``src`` is the original when the direction is known;
    without it, ``a`` stays the source side as given. ``guide``: a first alignment of ``a`` to ``b``
    (sentalign.align). ``with_model=False``: the direction from the rules only, no translator verdict
    (``judge`` adds them later)."""
    al = align([s.text for s in a.sentences], [s.text for s in b.sentences],
               a.embeddings[encoder], b.embeddings[encoder], overlaps, config.sentalign, guide, anchors)
    evidence_beads = confident(al.beads, config.min_bead_score)
    cov_a = coverage(evidence_beads, len(a.sentences), "src_idx")
    cov_b = coverage(evidence_beads, len(b.sentences), "tgt_idx")
    score = score_pair(evidence_beads, cov_a, cov_b)
    lang_a, lang_b = a.lang or "und", b.lang or "und"
    pair = DocPair(src_id=a.id, tgt_id=b.id, src_lang=lang_a, tgt_lang=lang_b, score=score,
                   src_coverage=cov_a, tgt_coverage=cov_b, direction="unknown", beads=al.beads,
                   src_name=a.name, tgt_name=b.name, candidate_score=candidate_score,
                   src_pointer=a.source, tgt_pointer=b.source,
                   src_crawled=a.crawled, tgt_crawled=b.crawled, src_published=a.published,
                   tgt_published=b.published, src_spans=passage_spans(a, evidence_beads, "src_idx"),
                   tgt_spans=passage_spans(b, evidence_beads, "tgt_idx"))
    original = judge_provenance(pair, a, b, evidence_beads, config, use_model=with_model)
    return turned(pair) if original == "b" and orient else pair


def judge(pair: DocPair, a: Document, b: Document, config: DocAlignConfig = DocAlignConfig(),
          orient: bool = True) -> DocPair:
    """The direction and translator verdicts of an aligned pair (either document first), the pair turned to
    put the original first with ``orient``. `mine` aligns with the rules alone while it decides (most
    candidates are rejected) and judges the pairs it keeps."""
    if pair.src_id != a.id:
        a, b = b, a
    original = judge_provenance(pair, a, b, confident(pair.beads, config.min_bead_score), config)
    return turned(pair) if original == "b" and orient else pair


def judge_provenance(pair: DocPair, a: Document, b: Document, evidence_beads: list[SentPair],
                     config: DocAlignConfig, use_model: bool = True) -> str | None:
    """Fill the pair's direction and translator verdicts (side a = the pair's source); return the original
    side ("a", "b" or None). The provenance model where it covers the language pair, else the rules."""
    lang_a, lang_b = pair.src_lang, pair.tgt_lang
    original, evidence = infer_direction(evidence_beads, lang_a, lang_b, pair.src_coverage, pair.tgt_coverage,
                                         config.asymmetry)
    model = ProvenanceModel.load(config.provenance_model) if config.provenance and use_model else None
    verdict = model.judge(measure(pair, a, b)) if model else None
    if verdict is not None:
        original = verdict.original
        named = {"a": lang_a, "b": lang_b}[verdict.likelier]
        short = (f", below the {verdict.direction_threshold:.2f} it needs" if verdict.direction_threshold < 1
                 else ": no verdict (no level of it was shown to hold on a year it was not trained on)")
        evidence = [f"provenance model ({'-'.join(sorted((lang_a, lang_b)))}): the {named} side is the original "
                    f"with probability {verdict.direction_probability:.2f}" + ("" if original else short)] + evidence
        pair.direction_probability = round(verdict.p_a_original, 4)
        pair.translator = verdict.translator
        pair.translator_probability = round(verdict.p_machine, 4)
        aligned = [p for p in pair.beads if p.src_idx and p.tgt_idx]
        for p, machine in zip(aligned, verdict.bead_machine, strict=True):
            p.translator_probability = round(machine, 4)
            p.translator = decided(machine, verdict.translator_threshold, "machine", "human") or "unknown"
    if original:
        pair.direction = f"{lang_a}->{lang_b}" if original == "a" else f"{lang_b}->{lang_a}"
    pair.direction_evidence = evidence
    return original


def turned(pair: DocPair) -> DocPair:
    """The same pair with its sides exchanged (to put the original first)."""
    return DocPair(src_id=pair.tgt_id, tgt_id=pair.src_id, src_lang=pair.tgt_lang, tgt_lang=pair.src_lang,
                   score=pair.score, src_coverage=pair.tgt_coverage, tgt_coverage=pair.src_coverage,
                   direction=pair.direction, direction_evidence=pair.direction_evidence,
                   beads=[p.turned() for p in pair.beads],
                   src_name=pair.tgt_name, tgt_name=pair.src_name, candidate_score=pair.candidate_score,
                   src_pointer=pair.tgt_pointer, tgt_pointer=pair.src_pointer,
                   src_crawled=pair.tgt_crawled, tgt_crawled=pair.src_crawled, src_published=pair.tgt_published,
                   tgt_published=pair.src_published,
                   src_spans=pair.tgt_spans, tgt_spans=pair.src_spans, linked=pair.linked,
                   direction_probability=None if pair.direction_probability is None else
                   round(1 - pair.direction_probability, 4), translator=pair.translator,
                   translator_probability=pair.translator_probability)


def anchor_chain(src_emb: np.ndarray, tgt_emb: np.ndarray, config: SentAlignConfig,
                 level: float) -> list[tuple[int, int]]:
    """The anchors: (source, target) sentence indices of the longest chain of mutual nearest neighbours,
    at least ``level`` above the pair's means on USE-m3's scale, running in order on both sides: the
    backbone of any alignment."""
    n, m = len(src_emb), len(tgt_emb)
    if n == 0 or m == 0:
        return []
    sim = src_emb @ tgt_emb.T
    # the aligner's normalisation (sentalign.align_runs), for single sentences
    w, prior = config.prior_weight, config.prior_cosine * config.prior_weight
    src_mu = (sim.mean(axis=1) * m + prior) / (m + w)
    tgt_mu = (sim.mean(axis=0) * n + prior) / (n + w)
    sim = config.similarity_scale * (sim - (src_mu[:, None] + tgt_mu[None, :]) / 2)
    best_j = sim.argmax(axis=1)
    best_i = sim.argmax(axis=0)
    rows = np.flatnonzero((best_i[best_j] == np.arange(n)) & (sim[np.arange(n), best_j] >= level))
    cols = best_j[rows].tolist()
    return [(int(rows[k]), cols[k]) for k in _longest_increasing(cols)]


def _longest_increasing(values: list[int]) -> list[int]:
    """Positions of a longest strictly increasing subsequence (patience sorting, O(n log n))."""
    import bisect

    tails: list[int] = []  # tails[k]: smallest end value of an increasing run of length k + 1
    tail_at: list[int] = []  # its position in values
    before = [-1] * len(values)
    for pos, v in enumerate(values):
        k = bisect.bisect_left(tails, v)
        before[pos] = tail_at[k - 1] if k else -1
        if k == len(tails):
            tails.append(v)
            tail_at.append(pos)
        else:
            tails[k], tail_at[k] = v, pos
    chain, pos = [], tail_at[-1] if tail_at else -1
    while pos >= 0:
        chain.append(pos)
        pos = before[pos]
    return chain[::-1]


def may_be_translation(a_emb: np.ndarray, b_emb: np.ndarray, candidate_score: float,
                       config: DocAlignConfig) -> bool:
    """The cheap first verdict: False when the pair cannot have the aligned sentences a translation
    needs (``is_translation``), judged from the sentence-similarity matrix alone; then no alignment runs."""
    return first_verdict(a_emb, b_emb, candidate_score, config)[0]


def first_verdict(a_emb: np.ndarray, b_emb: np.ndarray, candidate_score: float,
                  config: DocAlignConfig) -> tuple[bool, list[tuple[int, int]] | None]:
    """``may_be_translation``, and the anchor chain it found (None when it did not look), which bands
    the quick alignment of a long pair."""
    if not config.prefilter:
        return True, None
    if config.margin_bead_cosine is not None and candidate_score >= config.min_margin:
        return True, None  # the margin path judges short pairs by one bead: leave them to the aligner
    shorter = min(len(a_emb), len(b_emb))
    needed = max(1, int(config.anchor_share * config.min_coverage * shorter))
    chain = anchor_chain(a_emb, b_emb, config.sentalign, config.anchor_level)
    return len(chain) >= needed, chain


def is_translation(pair: DocPair, n_src: int, n_tgt: int, config: DocAlignConfig = DocAlignConfig()) -> bool:
    needed = min(config.min_aligned, n_src, n_tgt)
    n_confident = len(confident(pair.beads, config.min_bead_score))
    by_sentences = (n_confident >= max(needed, 1)
                    and max(pair.src_coverage, pair.tgt_coverage) >= config.min_coverage
                    and pair.score >= config.min_score)
    best_cosine = max((b.cosine for b in pair.beads if b.src_idx and b.tgt_idx), default=0.0)
    by_margin = (config.margin_bead_cosine is not None and pair.candidate_score >= config.min_margin
                 and best_cosine >= config.margin_bead_cosine)
    return by_sentences or by_margin
