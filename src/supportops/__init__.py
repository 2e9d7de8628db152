"""supportops: a self-hostable support operations platform."""

__version__ = "0.1.0"
