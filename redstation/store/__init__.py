"""SQLite storage: opening, migrations, records, queries."""
