"""Unit tests of notify: templates and rules without broker or server."""
