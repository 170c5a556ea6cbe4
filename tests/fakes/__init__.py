"""Fake servers that tests (and eval runs) start on 127.0.0.1."""
