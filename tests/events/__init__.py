"""Event backbone tests: contract, outbox, relay, consumers, and faults (broker restart, killed workers)."""
