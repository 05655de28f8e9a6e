"""The moderators' web page: sign-in by the bot's own link, every destination a person
moderates with its settings, a preview and its delivery history.

`tokens.py` signs the links and sessions; `server.py` serves the pages; `desk.py`
gathers what a page shows and saves what a form says through the same parsers and
`Subscriptions` methods the chat commands use.
"""
