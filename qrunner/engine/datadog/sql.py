"""The SQL half of :mod:`qrunner.engine.datadog.aggregate`: one statement per aggregate request.

Shape of the statement for ``n`` group-by levels (``k1..kn`` are the group keys)::

    ev    the matching events: time, keys, metric values (one scan of the table)
    fin   total computes per group (k1..kn), and the last level's sort measure
    tsJ   timeseries computes per group and time bucket, one per distinct interval
    gI/rI level I: candidate groups under each kept parent among the events having key I
          (whatever deeper keys they lack), ranked by the level's sort and cut to its limit
          (limits apply per level: the top 10 of level 2 *within* each kept level-1 value);
          the last level and alphabetical levels without deeper required keys take their
          groups from fin/ts, the others scan ev again
    → UNION ALL of fin and the tsJ joined to the kept groups, ordered by ranks and time.

Everything is aggregated in DuckDB; Python only reshapes the (small) result.
"""

from __future__ import annotations

from dataclasses import dataclass

from qrunner.engine.store.columns import TIME_COLUMN

PERCENTILES = {"pc75": 0.75, "pc90": 0.90, "pc95": 0.95, "pc98": 0.98, "pc99": 0.99, "median": 0.5}
NUMERIC_AGGREGATIONS = frozenset({*PERCENTILES, "sum", "min", "max", "avg", "delta"})
AGGREGATIONS = frozenset(
    {*NUMERIC_AGGREGATIONS, "count", "cardinality", "latest", "earliest", "most_frequent"}
)


@dataclass(frozen=True, slots=True)
class ComputePlan:
    key: str  # c0, c1...
    aggregation: str
    metric: str | None  # SQL of the metric column; None: no metric (count of events)
    interval_ms: int | None  # None: a total


@dataclass(frozen=True, slots=True)
class LevelPlan:
    key: str  # SQL of the group key (missing, histogram and booleans already applied)
    required: bool  # an event whose key is NULL is in no bucket of this level
    limit: int
    order: str  # ASC | DESC
    measure: tuple[str, str | None] | None  # (aggregation, metric SQL) for a measure sort


@dataclass(frozen=True, slots=True)
class StatementPlan:
    table: str
    where: str
    levels: tuple[LevelPlan, ...]
    computes: tuple[ComputePlan, ...]
    offset_ms: int = 0  # the zone's offset: buckets align to local midnight, local hours...
    offset: int = 0  # top-level groups skipped (a follow-up page)
    count_groups: bool = False  # also answer how many top-level groups there are


def aggregate_expression(aggregation: str, value: str | None) -> str:
    """The SQL aggregate for one Datadog aggregation over the ``ev`` value column ``value``."""
    if aggregation == "count":
        return "count(*)" if value is None else f"count({value})"
    v = value or "CAST(NULL AS DOUBLE)"
    present = f"FILTER (WHERE {v} IS NOT NULL)"
    if aggregation == "cardinality":
        return f"count(DISTINCT {v})"
    if aggregation in PERCENTILES:
        return f"quantile_cont({v}, {PERCENTILES[aggregation]})"
    if aggregation in ("sum", "min", "max", "avg"):
        return f"{aggregation}({v})"
    if aggregation == "latest":
        return f"arg_max({v}, __t) {present}"
    if aggregation == "earliest":
        return f"arg_min({v}, __t) {present}"
    if aggregation == "delta":
        return f"(arg_max({v}, __t) {present} - arg_min({v}, __t) {present})"
    if aggregation == "most_frequent":
        # mode() breaks ties arbitrarily; this picks the most frequent, then the smallest value.
        return (
            f"list_min(list_transform(map_entries(histogram({v})), "
            "lambda e: {'n': -CAST(e.value AS BIGINT), 'v': e.key})).v"
        )
    raise ValueError(aggregation)  # pragma: no cover - validated by the caller


def _join(parent: int, keys: list[str]) -> str:
    return f" JOIN r{parent} USING ({', '.join(keys[:parent])})" if parent else ""


def _present(levels: tuple[LevelPlan, ...], keys: list[str], chosen: range) -> list[str]:
    return [f"{keys[i]} IS NOT NULL" for i in chosen if levels[i].required]


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def build_statement(plan: StatementPlan) -> str:
    """One SQL statement answering ``plan``; result columns ``__part``, ``__tb``, ``k1..kn``,
    ``r1..rn`` and one column per compute key (``__part`` 0 = totals, J+1 = interval J,
    -1 = the number of top-level groups, in ``__groups``, when ``plan.count_groups``)."""
    levels = plan.levels
    keys = [f"k{i}" for i in range(1, len(levels) + 1)]
    metrics: dict[str, str] = {}
    for compute in plan.computes:
        if compute.metric is not None:
            metrics.setdefault(compute.metric, f"m{len(metrics)}")
    for level in levels:
        if level.measure and level.measure[1] is not None:
            metrics.setdefault(level.measure[1], f"m{len(metrics)}")

    def agg(aggregation: str, metric: str | None) -> str:
        return aggregate_expression(aggregation, None if metric is None else metrics[metric])

    selected = [f"{TIME_COLUMN} AS __t"]
    selected += [f"{level.key} AS {key}" for level, key in zip(levels, keys, strict=True)]
    selected += [f"{sql} AS {alias}" for sql, alias in metrics.items()]
    ctes = [f"ev AS (SELECT {', '.join(selected)} FROM {plan.table} WHERE {plan.where})"]
    # Events in a bucket of the deepest level: every level's key is present.
    grouped = _where(_present(levels, keys, range(len(levels))))

    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    key_list = "".join(f"{key}, " for key in keys)
    totals = [c for c in plan.computes if c.interval_ms is None]
    intervals = sorted({c.interval_ms for c in plan.computes if c.interval_ms is not None})
    last_measure = levels[-1].measure if levels else None
    need_fin = bool(totals) or last_measure is not None or not intervals
    # Grouped, fin (or ts0) is read again to rank the groups: compute it once. Ungrouped, it
    # is read once, and materialising it would only stop DuckDB's optimiser.
    materialized = "MATERIALIZED " if levels else ""
    if need_fin:
        fin = [f"{agg(c.aggregation, c.metric)} AS {c.key}" for c in totals]
        if last_measure is not None:
            fin.append(f"{agg(*last_measure)} AS __s")
        fin.append("count(*) AS __n")
        ctes.append(
            f"fin AS {materialized}(SELECT {key_list}{', '.join(fin)} FROM ev{grouped}{group})"
        )
    off = plan.offset_ms
    for number, interval in enumerate(intervals):
        series = [
            f"{agg(c.aggregation, c.metric)} AS {c.key}"
            for c in plan.computes
            if c.interval_ms == interval
        ]
        bucket = f"((__t + {off}) // {interval}) * {interval} - {off}"
        ctes.append(
            f"ts{number} AS {materialized}(SELECT {key_list}{bucket} AS __tb, "
            f"{', '.join(series)} FROM ev{grouped} GROUP BY ALL)"
        )

    source = "fin" if need_fin else "ts0"
    for i, level in enumerate(levels, start=1):
        current = ", ".join(keys[:i])
        ranks = "".join(f", r{j}" for j in range(1, i))
        join = _join(i - 1, keys)
        # A level's groups are chosen among the events having its key (and its kept parents'),
        # whatever deeper levels they lack: a parent is never replaced by the next one for
        # want of children, and its sort value is computed over all of its events.
        deeper_all_present = not any(lv.required for lv in levels[i:])
        if level.measure is None and deeper_all_present:
            candidates = f"SELECT DISTINCT {current}{ranks} FROM {source}{join}"
        elif level.measure is None:
            present = _where(_present(levels, keys, range(i - 1, i)))
            candidates = f"SELECT DISTINCT {current}{ranks} FROM ev{join}{present}"
        elif i == len(levels):
            candidates = f"SELECT {current}{ranks}, __s FROM fin{join}"
        else:
            present = _where(_present(levels, keys, range(i - 1, i)))
            measure = agg(*level.measure)
            candidates = (
                f"SELECT {current}{ranks}, {measure} AS __s FROM ev{join}{present} GROUP BY ALL"
            )
        if level.measure is None:
            order = f"k{i} {level.order}"
        else:
            order = f"__s {level.order} NULLS LAST, k{i} ASC"
        partition = f"PARTITION BY {', '.join(keys[: i - 1])} " if i > 1 else ""
        first = plan.offset + 1 if i == 1 else 1
        # g1 is read twice when the top-level groups are also counted (for pages).
        once = "MATERIALIZED " if i == 1 and plan.count_groups else ""
        ctes.append(f"g{i} AS {once}({candidates})")
        ctes.append(
            f"r{i} AS (SELECT {current}{ranks}, row_number() OVER ({partition}ORDER BY {order}) "
            f"AS r{i} FROM g{i} QUALIFY r{i} BETWEEN {first} AND {first + level.limit - 1})"
        )

    kept = _join(len(levels), keys)
    parts = []
    if plan.count_groups and levels:
        parts.append("SELECT -1 AS __part, count(*) AS __groups FROM g1")
    if need_fin:
        parts.append(f"SELECT 0 AS __part, CAST(NULL AS BIGINT) AS __tb, * FROM fin{kept}")
    parts += [f"SELECT {n + 1} AS __part, * FROM ts{n}{kept}" for n in range(len(intervals))]
    order_by = ", ".join(["__part", *(f"r{i}" for i in range(1, len(levels) + 1)), "__tb"])
    body = " UNION ALL BY NAME ".join(f"({part})" for part in parts)
    return f"WITH {', '.join(ctes)} {body} ORDER BY {order_by}"
