"""Tests of the jobs service."""
