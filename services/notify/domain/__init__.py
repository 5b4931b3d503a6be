"""notify's rules as plain functions: no Flask, no nameko (the worker and the api are wiring)."""
