"""Street pages, one module per part (the dashboard helper's pages live beside them)."""
