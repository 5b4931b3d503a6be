"""Tests of the resume service."""
