"""Evaluation of DocChat: datasets, retrieval and answer metrics, runs compared over time."""
