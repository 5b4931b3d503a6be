"""notify: mail and SMS for every other service — templates, preferences, delivery log and retries."""
