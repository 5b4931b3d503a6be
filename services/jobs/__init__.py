"""jobs: positions, search, favorites, one-click applications and interviews (fairs and talks come later)."""
