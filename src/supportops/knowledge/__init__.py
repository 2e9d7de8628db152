"""The knowledge base and self-service (L0)."""
