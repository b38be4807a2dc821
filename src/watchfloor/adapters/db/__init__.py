"""Database adapter: SQLAlchemy 2 tables, repositories, the unit of work and migrations."""
