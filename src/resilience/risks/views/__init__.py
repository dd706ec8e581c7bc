"""Pages of the risks app: register, four-colour map, inspections, hazards."""
