"""Alembic environment: runs on the connection the store hands over.

`newsbot.store.Store.migrate` calls Alembic with `config.attributes["connection"]`
set, so migrations run inside the application's own engine, SQLite or PostgreSQL.
"""

from alembic import context

from newsbot.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
