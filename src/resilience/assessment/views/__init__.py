"""Assessment pages, one module per subject."""
