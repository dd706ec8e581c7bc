"""Relief pages, one module per part."""
