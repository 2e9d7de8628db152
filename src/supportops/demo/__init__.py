"""Deterministic demo data: organizations, customers, agents and tickets with a realistic history."""
