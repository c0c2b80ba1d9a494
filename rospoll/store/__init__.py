"""5 · Store: git backups, change journal, per-user records."""
