"""Unit tests of the resume rules: no database, no broker."""
