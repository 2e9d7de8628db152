"""The ``supportops`` command line."""
