"""Macros: canned replies with placeholders, and the ticket changes applied with them."""
