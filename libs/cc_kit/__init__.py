"""Campus Careers shared kit: infrastructure only (config, database, auth, events, HTTP plumbing)."""
