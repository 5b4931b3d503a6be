"""auth against real RabbitMQ and both databases."""
