"""Integration tests of the resume service: SQLite and PostgreSQL, real RabbitMQ."""
