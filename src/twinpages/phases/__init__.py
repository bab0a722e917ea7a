"""The phases of `mine`, each a function from input shards to output shards in the run folder.

    plan        input files  -> input shards (InputShard: files, or an interleaved part of an archive)
    read        input shard  -> line counts per site (repeats/), then documents and errors (documents/, errors/):
                                read, extract, identify languages, split sentences
    embed       documents    -> sentence and document vectors per encoder (vectors/)
    candidates  all vectors  -> candidate pairs (one global task)
    decide      candidates   -> accepted pairs, per batch (decided/)
    select      decided      -> the pairs in output order, one-to-one when asked (pairs-*.jsonl)

A phase object holds settings only and pickles small; its models load on first use, once per worker
process (base.py), whichever runner ships it there. A task writes its files atomically and its stats
last, so a task whose stats file exists is done and a rerun skips it. corpus.py chains the phases.
"""
