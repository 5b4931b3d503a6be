"""The API gateway of Campus Careers: routing, token and role checks, rate limits, aggregated docs and health."""
