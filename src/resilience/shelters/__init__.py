"""Shelters (check-in, live occupancy) and evacuation planning over the community's walking graph."""
