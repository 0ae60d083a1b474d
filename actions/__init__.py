"""Custom actions of the Serambi assistant, one module per feature."""
