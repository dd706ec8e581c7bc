"""Index methods: plain numeric functions over units × variables, no database access.

``percentile`` (percentile-rank composites such as the CDC SVI), ``weights`` (hand, AHP, entropy),
``normalise`` (target-normalised and min-max scores), ``composite`` (weighted sums with each
indicator's contribution), ``svi`` (CDC SVI from ACS inputs) and ``local_svi`` (the same method
over the buildings and grids of a community).
"""
