"""Resilience assessment: indicators, index methods, scores, stress tests and reports."""
