"""Storage: tables, migrations, repositories and bulk writes."""
