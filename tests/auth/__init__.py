"""Tests of the auth service."""
