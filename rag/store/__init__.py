"""Conversations, feedback and evaluation runs: the Store seam's types, codec and backends."""
