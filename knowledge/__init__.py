"""Knowledge content and its searchable SQLite tables."""
