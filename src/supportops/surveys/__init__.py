"""Customer surveys: CSAT after each resolution (a signed one-time link) and the NPS relationship
survey on a schedule."""
