"""The phases of `mine`: each a class in this package that follows the contract in base.py (Phase), listed
once, in order, in corpus.PHASES. Stages (base.STAGES) group them for `--until`:

    read        count.CountLines, MergeLines   input shards -> line counts per site (repeats/)
                read.Analyse                   input shards -> documents and errors (documents/, errors/):
                                               read, extract, identify languages, split sentences
                ids.UniqueIds                  documents -> the renames that make every id unique (ids/)
                write.Extracted                (--extract) the extracted text, written at once
                copies.SignCopies, ClusterCopies
                                               documents -> MinHash band keys -> clusters of near-copies
    embed       embed.HashSentences, OwnSentences
                                               documents -> distinct sentence hashes -> each one's owner shard
                embed.EncodeSentences          the sentences each shard owns -> the encoder -> their vectors
                embed.Embed                    documents -> sentence vectors (from their owners) and document
                                               vectors per encoder
    candidates  candidates.FindCandidates      same-site pairs by address
                search.TrainIndex, BuildIndex, SearchIndex, PairLanguages
                                               vectors -> index shards -> neighbours -> margin-scored pairs
                candidates.MergeCandidates     -> one candidates file
    decide      decide.CarryDecisions, Decide  candidates -> accepted pairs, per batch (decided/)
    select      select.Select, SaveState       decided -> the pairs in output order; the run state
    write       write.Write                    the run folder's output files

A phase object holds settings only and pickles small; its models load on first use, once per worker
process (base.models), whichever runner ships it there. A task writes its files atomically and its stats
last, so a task whose stats file exists is done and a rerun skips it. Every path comes from store.Layout.
"""
