"""jobs' rules as plain functions taking a session (no Flask, no nameko)."""
