"""The store: where posts, subscriptions and the outbox are kept (SQLite or PostgreSQL).

`database.py` opens and migrates it, `schema.py` holds its tables, `rows.py`
converts rows to the neutral types, and the write side of subscriptions lives
in `subscriptions.py`. Every other stage reads and writes through here.
"""

from newsbot.store.database import (
    Store,
    StoreError,
    from_db_time,
    store_trouble,
    to_db_time,
    utcnow,
)

__all__ = ["Store", "StoreError", "from_db_time", "store_trouble", "to_db_time", "utcnow"]
