"""Stage 1, ingest: finding post files, reading them into `Post`s, watching the folder,
and indexing what changed into the store (announcing new stories to the outbox).

Kept free of imports: a reader process (`python -m newsbot.ingest.reader_processes`)
imports this package and must stay small.
"""
