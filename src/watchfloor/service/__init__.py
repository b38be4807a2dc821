"""Use cases: one function per command, given a unit of work."""
