"""The REST API: router assembly and problem-details error rendering."""
