"""Everything that touches the outside world: database, parsers, writers, files."""
