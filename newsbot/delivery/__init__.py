"""Stage 3, delivery: the outbox rows written when a story is announced, the dispatcher
that sends them through an adapter, the retry policy, pacing and text fitting."""
