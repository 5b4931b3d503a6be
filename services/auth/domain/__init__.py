"""The rules of the auth service as plain functions (no Flask, no nameko): each module one concern."""
