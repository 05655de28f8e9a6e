"""newsbot: a folder of Jekyll-style posts in, Telegram and Discord messages out."""

__version__ = "0.1.0"
