"""Stage 4, chat: the commands people type, answered once for every platform, and the
read-only queries behind the answers."""
