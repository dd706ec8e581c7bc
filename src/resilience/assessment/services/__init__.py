"""Assessment services: plain functions taking models and returning models.

``runs`` (assess communities with an index), ``trends`` (scores over time, why a score changed),
``compare`` (communities of a street side by side), ``weakness`` (weakest indicators and what to
do), ``stress`` and ``evaluations`` (run and save stress tests and self-evaluations).
"""
