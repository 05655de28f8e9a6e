"""Tests of newsbot/store."""
