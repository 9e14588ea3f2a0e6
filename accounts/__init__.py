"""Accounts: the user model (e-mail is the login), roles and API authentication."""
