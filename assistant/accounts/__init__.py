"""Accounts: users and their roles and groups, sessions and API tokens, conversations, the audit log (SQLite)."""
