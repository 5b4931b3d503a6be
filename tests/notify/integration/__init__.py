"""Integration tests of notify: real RabbitMQ, SQLite and PostgreSQL."""
