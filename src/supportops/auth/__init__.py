"""Accounts and access: organizations, users and roles, groups and tiers, tokens and sessions."""
