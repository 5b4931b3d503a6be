"""Shared fixtures live in cc_kit.testing.plugin (loaded from pyproject.toml)."""
