"""Accounts: candidates and staff, sign-up and sign-in, verification, passwords, invitations, OIDC."""
