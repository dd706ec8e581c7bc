"""The versioned data exchange for upstream departments (see docs/exchange.md)."""
