"""Tests of newsbot/chat."""
