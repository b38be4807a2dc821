"""Pure model and rules of the cell: no framework, ORM or parser imports."""
