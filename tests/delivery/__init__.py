"""Tests of newsbot/delivery."""
