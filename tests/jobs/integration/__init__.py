"""Integration tests of jobs: real RabbitMQ, SQLite and PostgreSQL."""
