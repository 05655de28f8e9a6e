"""Operations: what a person running newsbot watches.

- `status.py`: `newsbot status`, the workers of a store, what each holds, and how
  much waits in the outbox, read from the store alone;
- `metrics.py`: one worker's Prometheus metrics (deliveries, edits, 429s, queue
  depth, lease changes), fed by the dispatchers' events;
- `server.py`: the worker's `/healthz` and `/metrics`, on `metrics.listen`.
"""
