"""Tests of newsbot/ingest."""
