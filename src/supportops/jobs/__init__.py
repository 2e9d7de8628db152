"""Durable jobs: written in the same transaction as the change, run by a worker after commit."""
