"""Unit tests of jobs: domain rules without a broker or a server."""
