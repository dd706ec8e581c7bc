"""Assess communities with an index: compute every indicator, score it, weigh and store.

All communities are assessed together: each computed indicator gets the whole list of ids in
one call (a few grouped queries however many communities), survey and imported values come
from one query, and the runs and their values are written with ``bulk_create`` — so a street or
a whole city is assessed in seconds. Cross-community methods (min-max, percentile) scale each
indicator across the communities assessed together.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.assessment.catalogue import Indicator, Measurement, catalogue
from resilience.assessment.methods import weights as weighting
from resilience.assessment.methods.normalise import HIGHER, LOWER, min_max
from resilience.assessment.methods.percentile import percentile_rank
from resilience.assessment.models import AssessmentRun, Index, IndicatorEntry, IndicatorValue
from resilience.assessment.vocab import Dimension, Direction, Method, Source, Weighting

log = logging.getLogger(__name__)

DEFAULT_INDEX = "default"


def default_index() -> Index:
    """The index marked default (created by migration 0002), or the first one."""
    index = Index.objects.filter(is_default=True).first() or Index.objects.first()
    if index is None:  # a database migrated without 0002's data (e.g. flushed by a test)
        index = Index.objects.create(code=DEFAULT_INDEX, name=_("Community resilience index"),
                                     is_default=True)
    return index


def indicators_of(index: Index) -> list[Indicator]:
    """The catalogue indicators the index uses, in dimension then code order."""
    known = catalogue()
    codes = index.indicators or sorted(known)
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError({"indicators": _("Unknown indicator: %(code)s.") % {
            "code": unknown[0]}})
    order = {d: k for k, d in enumerate(Dimension.values)}
    chosen = [known[code] for code in dict.fromkeys(codes)]
    return sorted(chosen, key=lambda i: (order[i.dimension], i.code))


def dimensions_of(indicators: Iterable[Indicator]) -> list[str]:
    present = {i.dimension for i in indicators}
    return [d for d in Dimension.values if d in present]


def _parse_pairwise(pairwise: dict) -> dict[tuple[str, str], float]:
    judgements = {}
    for key, value in (pairwise or {}).items():
        left, sep, right = str(key).partition("/")
        if not sep:
            raise ValidationError({"pairwise": _(
                "Write each judgement as “dimension/dimension”, not “%(key)s”.") % {"key": key}})
        try:
            judgements[(left.strip(), right.strip())] = float(value)
        except (TypeError, ValueError):
            raise ValidationError({"pairwise": _("The judgement %(key)s must be a number.") % {
                "key": key}}) from None
    return judgements


@dataclass(frozen=True)
class DimensionWeights:
    """The weight of each dimension (summing to 1), the AHP consistency ratio when AHP gave
    them, and a note when a fallback was used."""

    weights: dict[str, float]
    consistency_ratio: float | None = None
    note: str = ""


def dimension_weights(index: Index, dimensions: list[str],
                      table: np.ndarray | None = None) -> DimensionWeights:
    """Weights of ``dimensions`` by the index's weighting. ``table`` (communities × dimensions,
    scores 0–100, NaN missing) is what entropy weights are computed from.

    Raises ``ValidationError`` naming ``dimension_weights`` or ``pairwise`` when the weights
    cannot be used — AHP judgements whose consistency ratio is above 0.1 among them.
    """
    if not dimensions:
        return DimensionWeights({})
    equal = {d: 1 / len(dimensions) for d in dimensions}
    if index.weighting == Weighting.MANUAL:
        given = index.dimension_weights or {}
        unknown = sorted(set(given) - set(Dimension.values))
        if unknown:
            raise ValidationError({"dimension_weights": _("Unknown dimension: %(name)s.") % {
                "name": unknown[0]}})
        try:
            raw = {d: float(given.get(d, 0)) for d in dimensions}
            return DimensionWeights(weighting.hand_weights(raw))
        except (TypeError, ValueError) as exc:
            raise ValidationError({"dimension_weights": str(exc)}) from None
    if index.weighting == Weighting.AHP:
        if len(dimensions) == 1:
            return DimensionWeights(equal, 0.0)
        try:
            matrix = weighting.pairwise_matrix(dimensions, _parse_pairwise(index.pairwise))
            result = weighting.ahp_weights(matrix, dimensions)
        except weighting.InconsistentJudgements as exc:
            raise ValidationError({"pairwise": _(
                "The pairwise judgements are inconsistent: the consistency ratio is %(cr).3f, "
                "above 0.1. Revise them.") % {"cr": exc.result.cr}}) from None
        except weighting.WeightError as exc:
            raise ValidationError({"pairwise": str(exc)}) from None
        return DimensionWeights(result.as_dict(), round(result.cr, 4))
    if index.weighting == Weighting.ENTROPY:
        complete = None if table is None else table[~np.isnan(table).any(axis=1)]
        if complete is None or len(complete) < 2:
            return DimensionWeights(equal, note=_(
                "Entropy weights need two or more communities with every dimension scored; "
                "equal weights were used."))
        try:
            found = weighting.entropy_weights(complete / 100.0, dimensions)
        except weighting.WeightError:
            return DimensionWeights(equal, note=_(
                "The communities do not differ, so entropy cannot weigh the dimensions; "
                "equal weights were used."))
        return DimensionWeights(found)
    return DimensionWeights(equal)


def check_index(index: Index) -> None:
    """Refuse an index whose indicators or weights cannot be used (``ValidationError`` naming
    the field): unknown indicator codes, bad hand weights, AHP judgements that are incomplete
    or inconsistent (CR > 0.1)."""
    index.clean()
    dimensions = dimensions_of(indicators_of(index))
    if index.weighting != Weighting.ENTROPY:
        dimension_weights(index, dimensions)


def _plain(value):
    """Inputs as JSON: Decimals become numbers, dates ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _json_text(inputs: dict | None) -> str:
    """Inputs as JSON text; NaN and infinities (not JSON) become null."""
    try:
        return json.dumps(inputs or {}, default=_plain, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(inputs), default=_plain, allow_nan=False)


def _number(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def measure(indicators: list[Indicator], ids: list[int], at: dt.datetime
            ) -> dict[str, dict[int, Measurement]]:
    """Every indicator's measurement for every community: computed ones from live data (one
    call per indicator with all ids), survey and imported ones from the newest entry on or
    before ``at``."""
    out: dict[str, dict[int, Measurement]] = {}
    for indicator in indicators:
        if indicator.source != Source.COMPUTED or indicator.compute is None:
            continue
        try:
            out[indicator.code] = indicator.compute(ids, at) or {}
        except Exception as exc:  # one broken query must not stop the whole assessment
            log.exception("indicator %s failed", indicator.code)
            out[indicator.code] = {cid: Measurement(None, {"error": str(exc)[:200]})
                                   for cid in ids}
    entered = [i.code for i in indicators if i.code not in out]
    if entered:
        day = timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
        rows = (IndicatorEntry.objects.filter(community_id__in=ids, indicator__in=entered,
                                              measured_on__lte=day)
                .order_by("community_id", "indicator", "-measured_on", "-id")
                .values_list("pk", "community_id", "indicator", "value", "measured_on", "source",
                             "note"))
        for pk, cid, code, value, measured_on, source, note in rows:
            per = out.setdefault(code, {})
            if cid not in per:  # the first row is the newest
                per[cid] = Measurement(value, {"entry": pk, "measured_on": measured_on,
                                               "source": source, "note": note})
        for code in entered:
            out.setdefault(code, {})
    return out


def score_matrix(indicators: list[Indicator], values: np.ndarray, method: str) -> np.ndarray:
    """Scores 0–100 (NaN where there is no value): against each indicator's target, or scaled
    across the communities (rows) by min-max or percentile rank."""
    scores = np.full(values.shape, np.nan)
    for j, indicator in enumerate(indicators):
        column = values[:, j]
        direction = HIGHER if indicator.direction == Direction.HIGHER_BETTER else LOWER
        if method == Method.MINMAX:
            scores[:, j] = min_max(column, direction) * 100
        elif method == Method.PERCENTILE:
            scores[:, j] = percentile_rank(column, direction) * 100
        else:
            scores[:, j] = [np.nan if math.isnan(v) else indicator.score(v) for v in column]
    return np.round(scores, 2)


def _within(index: Index, indicators: list[Indicator]) -> np.ndarray:
    """Each indicator's weight inside its dimension (``index.indicator_weights``, default 1)."""
    given = index.indicator_weights or {}
    try:
        raw = np.array([float(given.get(i.code, 1.0)) for i in indicators])
    except (TypeError, ValueError):
        raise ValidationError({"indicator_weights": _("Weights must be numbers.")}) from None
    if np.any(~np.isfinite(raw)) or np.any(raw < 0):
        raise ValidationError({"indicator_weights": _("Weights must not be negative.")})
    return raw


def _dimension_scores(scores: np.ndarray, within: np.ndarray, dims: list[str],
                      indicators: list[Indicator]) -> np.ndarray:
    table = np.full((scores.shape[0], len(dims)), np.nan)
    present = ~np.isnan(scores)
    filled = np.where(present, scores, 0.0)
    for k, dimension in enumerate(dims):
        columns = [j for j, i in enumerate(indicators) if i.dimension == dimension]
        w = within[columns]
        have = present[:, columns] @ w
        with np.errstate(divide="ignore", invalid="ignore"):
            table[:, k] = np.where(have > 0, (filled[:, columns] @ w) / have, np.nan)
    return np.round(table, 2)


def _community_ids(communities) -> list[int]:
    ids = []
    for c in communities:
        ids.append(int(getattr(c, "pk", c)))
    return list(dict.fromkeys(ids))


def assess(communities, index: Index | None = None, *, at: dt.datetime | None = None,
           by=None, note: str = "") -> list[AssessmentRun]:
    """Assess ``communities`` (models or ids) with ``index`` (the default index when None) at
    ``at`` (now): one stored ``AssessmentRun`` per community, in the order given, each with
    every indicator's value, score, weight and inputs.

    A dimension's score is the weighted mean of its indicators' scores; the total is the
    weighted mean of the dimension scores, leaving out what has no value. Raises
    ``ValidationError`` (naming ``pairwise``, ``dimension_weights``, ``indicator_weights`` or
    ``indicators``) when the index cannot be used; then nothing is written.
    """
    index = index or default_index()
    at = at or timezone.now()
    ids = _community_ids(communities)
    indicators = indicators_of(index)
    dims = dimensions_of(indicators)
    within = _within(index, indicators)
    if index.weighting != Weighting.ENTROPY:
        weights = dimension_weights(index, dims)  # refuse bad weights before any work
    if not ids:
        return []
    measured = measure(indicators, ids, at)
    values = np.array([[_number(measured[i.code].get(cid, Measurement(None)).value)
                        if i.code in measured else None for i in indicators] for cid in ids],
                      dtype=float).reshape(len(ids), len(indicators))
    scores = score_matrix(indicators, values, index.method)
    table = _dimension_scores(scores, within, dims, indicators)
    if index.weighting == Weighting.ENTROPY:
        weights = dimension_weights(index, dims, table)
    big_w = np.array([weights.weights.get(d, 0.0) for d in dims])
    present = ~np.isnan(table)
    have = present @ big_w if dims else np.zeros(len(ids))
    with np.errstate(divide="ignore", invalid="ignore"):
        totals = np.where(have > 0, (np.where(present, table, 0.0) @ big_w) / have, np.nan)
    # An indicator's share of the whole score: its dimension's weight split inside it.
    sums = {d: within[[j for j, i in enumerate(indicators) if i.dimension == d]].sum()
            for d in dims}
    effective = [weights.weights.get(i.dimension, 0.0) * (w / sums[i.dimension] if sums[
        i.dimension] else 0.0) for i, w in zip(indicators, within)]

    runs = [AssessmentRun(
        community_id=cid, index=index, at=at, by=by, note=(note or weights.note)[:200],
        score=None if math.isnan(totals[r]) else round(float(totals[r]), 2),
        dimension_scores={d: (None if math.isnan(table[r, k]) else float(table[r, k]))
                          for k, d in enumerate(dims)},
        weights={d: round(weights.weights.get(d, 0.0), 6) for d in dims},
        consistency_ratio=weights.consistency_ratio) for r, cid in enumerate(ids)]
    with transaction.atomic():
        runs = AssessmentRun.objects.bulk_create(runs, batch_size=500)
        if any(run.pk is None for run in runs):  # a backend that returns no ids
            stored = dict(AssessmentRun.objects.filter(index=index, at=at, community_id__in=ids)
                          .values_list("community_id", "pk"))
            for run in runs:
                run.pk = run.id = stored[run.community_id]
        missing = json.dumps({"missing": _("no value")})
        rows = []
        shares = [round(w, 6) for w in effective]
        plain_values, plain_scores = values.tolist(), scores.tolist()  # floats, NaN for none
        for r, (cid, run) in enumerate(zip(ids, runs)):
            for j, indicator in enumerate(indicators):
                m = measured.get(indicator.code, {}).get(cid)
                value, score = plain_values[r][j], plain_scores[r][j]
                rows.append((run.pk, cid, indicator.code, indicator.dimension,
                             None if math.isnan(value) else value,
                             None if math.isnan(score) else score, shares[j],
                             _json_text(m.inputs) if m else missing, indicator.source))
        insert_values(rows)
    return runs


VALUE_COLUMNS = ("run_id", "community_id", "indicator", "dimension", "value", "score", "weight",
                 "inputs", "source")


def insert_values(rows: list[tuple], batch: int = 5000) -> None:
    """Write indicator values (tuples in ``VALUE_COLUMNS`` order, inputs as JSON text): by
    ``COPY`` on PostgreSQL, ``executemany`` elsewhere. The ORM's ``bulk_create`` spends most of a
    city's assessment preparing field values one by one, and these rows are plain numbers and
    text already."""
    table = connection.ops.quote_name(IndicatorValue._meta.db_table)
    columns = ("created", "updated", *VALUE_COLUMNS)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    now = timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((now, now, *row))
            return
        stamp = connection.ops.adapt_datetimefield_value(now)
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # nosec B608  # table and column names from the model's _meta through quote_name; values are parameters
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, [(stamp, stamp, *row) for row in rows[start:start + batch]])


def assess_one(community, index: Index | None = None, *, at=None, by=None) -> AssessmentRun:
    """Assess one community (see ``assess``)."""
    return assess([community], index, at=at, by=by)[0]


def latest_run(community, index: Index | None = None) -> AssessmentRun | None:
    """The community's newest run with ``index`` (the default index when None)."""
    index = index or default_index()
    return (AssessmentRun.objects.filter(community=community, index=index)
            .order_by("-at", "-id").first())
