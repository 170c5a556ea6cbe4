"""Benchmarks of newsdesk's index: ingest, reindex, query latency, memory, retrieval quality."""
