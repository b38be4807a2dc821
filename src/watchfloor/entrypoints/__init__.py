"""Command line and web entry points."""
