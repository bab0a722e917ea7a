from conftest import EN_SEED, shared_path
from twinpages.data import Document
from twinpages.stages.extract import Extractor
from twinpages.stages.repeats import RepeatedLines, group_of, line_hash

DISCLAIMER = "This article was originally published by CNN and is republished here with permission for our readers."


def site_pages(seed_dir):
    """Three pages of one site: the English seed's template around three different article bodies,
    each followed by the site's standard disclaimer paragraph."""
    template = (seed_dir / EN_SEED).read_text(encoding="utf-8").splitlines()
    head, tail = template[:56], template[94:]
    bodies = [template[56:93]]
    eng = shared_path("data", "sentalign", "parice", "eng")
    for name in ("n_2.txt", "s_1.txt"):
        lines = [x.split("\t", 1)[1].strip() for x in (eng / name).read_text(encoding="utf-8").splitlines()]
        bodies.append([x for x in lines if len(x.split()) > 12 and x.endswith(".")][:12])
    return [Document(f"p{k}", raw="\n".join(head + body + [DISCLAIMER] + tail), source=f"/crawl/site/p{k}.txt")
            for k, body in enumerate(bodies)]


def test_a_paragraph_on_every_page_of_a_site_is_dropped(seed_dir):
    pages = site_pages(seed_dir)
    ex = Extractor()
    alone = ex.extract(Document("x", raw=pages[0].raw, source=pages[0].source))
    assert DISCLAIMER in alone.main_text  # the classifier alone takes it for prose next to the article
    repeats = RepeatedLines(min_docs=3)
    for p in pages:
        repeats.add(p)
    repeats.finish()
    for p in pages:
        ex.extract(p, repeats.repeated_in(p))
        assert DISCLAIMER not in p.main_text
        assert len(p.main_text) > 300
        dropped = [line for line in p.lines if line.text == DISCLAIMER]
        assert "rules: repeated on other pages of the site" in dropped[0].reason


def test_repeats_stay_inside_a_site(seed_dir):
    pages = site_pages(seed_dir)
    pages[2].source = "/crawl/other-site/p2.txt"
    repeats = RepeatedLines(min_docs=3)
    for p in pages:
        repeats.add(p)
    repeats.finish()
    assert repeats.repeated_in(pages[0]) == set()  # only two pages of /crawl/site carry it


def test_groups_and_normalisation():
    assert group_of(Document("a", "", url="https://www.Example.com/x")) == "example.com"
    assert group_of(Document("a", "", source="/data/x/page.txt")) == "/data/x"
    assert line_hash("Posted on 12 May 2022!") == line_hash("posted  on 31 may 2022")
    assert line_hash("Café") == line_hash("cafe")


def test_counts_per_shard_merge_to_the_counts_of_the_whole(seed_dir, tmp_path):
    """The read phase counts lines per input shard; merged (in buckets of sites, through files), the
    counts give the table that one pass over all pages gives."""
    from twinpages.stages.repeats import LineCounts

    pages = site_pages(seed_dir)
    pages[1].source = "/crawl/other-site/p1.txt"
    whole = LineCounts()
    for p in pages:
        whole.add(p)
    shards = [LineCounts(), LineCounts()]
    for k, p in enumerate(pages):
        shards[k % 2].add(p)
    for k, shard in enumerate(shards):
        for j, bucket in enumerate(shard.buckets(4)):
            bucket.save(tmp_path / f"s{k}.b{j}.npz")
    merged = [LineCounts.merge([LineCounts.load(tmp_path / f"s{k}.b{j}.npz") for k in range(2)]) for j in range(4)]
    for j in range(4):
        merged[j].repeated(2).save(tmp_path / f"m{j}.npz")
    table = RepeatedLines.load([tmp_path / f"m{j}.npz" for j in range(4)], 2)
    reference = whole.repeated(2)
    for p in pages:
        assert table.repeated_in(p) == reference.repeated_in(p)
    assert table.repeated_in(pages[0])  # two pages of /crawl/site share the template
    assert {g: c.tolist() for g, (_, c) in (shards[0] + shards[1]).counts.items()} == \
        {g: c.tolist() for g, (_, c) in whole.counts.items()}
