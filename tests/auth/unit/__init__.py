"""Unit tests of the auth domain rules."""
