"""Tests of the notify service."""
