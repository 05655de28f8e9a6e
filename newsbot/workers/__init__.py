"""Several workers on one store: who runs, who holds which role, who sends where.

With `store.url` on PostgreSQL every `newsbot run` is a worker among equals, and
the database is the only coordinator:
- `roster.py`: each worker's row and heartbeat, and which workers are alive;
- `leases.py`: named roles one worker holds at a time (the indexer, Telegram's
  poller, Discord's shards), taken over when their holder stops renewing them;
- `roles.py`: the loop that keeps this worker's leases and starts or stops what
  they stand for;
- `tenure.py`: until when, by this worker's own clock, a lease is surely still its
  own (what work that must never overlap checks before each step).

The store's clock decides every expiry, so workers on machines whose clocks
disagree still agree on who holds what.
"""
