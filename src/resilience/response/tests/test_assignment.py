"""The balanced roll-call assignment: optimal, within capacity, and not greedy."""
import itertools
import random
from collections import Counter

import pytest

from resilience.response.assignment import assign, capacity, total_distance

BASE_LAT, BASE_LNG = 31.23, 121.47
M = 1 / 111_000  # about one metre of latitude, in degrees


def at(pk, north_m, east_m=0.0):
    return (pk, BASE_LAT + north_m * M, BASE_LNG + east_m * M / 0.855)


def brute_force(residents, helpers, slack=1):
    cap = capacity(len(residents), len(helpers), slack)
    best, best_pairs = None, None
    for choice in itertools.product(range(len(helpers)), repeat=len(residents)):
        if max(Counter(choice).values()) > cap:
            continue
        pairs = {r[0]: helpers[h][0] for r, h in zip(residents, choice)}
        cost = total_distance(residents, helpers, pairs)
        if best is None or cost < best - 1e-9:
            best, best_pairs = cost, pairs
    return best, best_pairs


def test_a_greedy_pairing_is_beaten_by_the_optimal_one():
    # Helpers at 0 m and 100 m; residents at 40 m and 60 m... with capacity 1 (slack 0) greedy
    # (nearest first, resident at 55 m takes the helper at 100 m's slot first) walks further.
    residents = [at("r1", 55), at("r2", 0 - 1000)]
    helpers = [at("h1", 0), at("h2", 100)]
    pairs = assign(residents, helpers, slack=0)
    assert pairs == {"r1": "h2", "r2": "h1"}
    # Greedy by resident order: r1 → h1 (55 m), then r2 → h2 (1100 m) = 1155 m; optimal 1045 m.
    assert total_distance(residents, helpers, pairs) == pytest.approx(1045, rel=0.01)


def test_known_optimum_of_a_small_case_matches_brute_force():
    rng = random.Random(7)
    residents = [at(f"r{i}", rng.uniform(0, 500), rng.uniform(0, 500)) for i in range(7)]
    helpers = [at(f"h{j}", rng.uniform(0, 500), rng.uniform(0, 500)) for j in range(3)]
    best, _pairs = brute_force(residents, helpers, slack=0)
    pairs = assign(residents, helpers, slack=0)
    assert total_distance(residents, helpers, pairs) == pytest.approx(best)


def test_no_helper_takes_more_than_ceil_n_over_h_plus_slack():
    # Everyone lives next to helper h1; the others are far away, yet h1 is not overloaded.
    residents = [at(f"r{i}", i) for i in range(10)]
    helpers = [at("h1", 0), at("h2", 5000), at("h3", -5000)]
    pairs = assign(residents, helpers, slack=1)
    load = Counter(pairs.values())
    assert len(pairs) == 10
    assert max(load.values()) <= capacity(10, 3, 1) == 5
    assert load["h1"] == 5


def test_the_sparse_solver_is_within_a_tenth_of_a_percent_of_the_dense_optimum():
    # It offers each resident only its nearest helpers, so it may miss the optimum by a hair.
    rng = random.Random(3)
    residents = [at(i, rng.uniform(0, 2000), rng.uniform(0, 2000)) for i in range(300)]
    helpers = [at(f"h{j}", rng.uniform(0, 2000), rng.uniform(0, 2000)) for j in range(40)]
    dense = assign(residents, helpers)
    sparse = assign(residents, helpers, dense_limit=0)
    assert set(sparse) == set(dense) == {r[0] for r in residents}
    assert max(Counter(sparse.values()).values()) <= capacity(300, 40)
    assert total_distance(residents, helpers, sparse) == pytest.approx(
        total_distance(residents, helpers, dense), rel=1e-3)


def test_the_sparse_solver_widens_its_search_when_the_nearest_are_full():
    # 20 residents around h0, 19 far helpers: the 8 nearest cannot take them all at capacity 2.
    residents = [at(i, i) for i in range(20)]
    helpers = [at("h0", 0)] + [at(f"h{j}", 10_000 + j * 100) for j in range(1, 20)]
    pairs = assign(residents, helpers, slack=1, dense_limit=0)
    assert len(pairs) == 20
    assert max(Counter(pairs.values()).values()) <= capacity(20, 20, 1)


def test_no_helpers_means_no_pairs():
    assert assign([at("r", 0)], []) == {}
    assert assign([], [at("h", 0)]) == {}


def test_residents_of_the_same_buildings_get_the_exact_optimum_from_the_transport_solver():
    rng = random.Random(5)
    buildings = [(rng.uniform(0, 800), rng.uniform(0, 800)) for _ in range(6)]
    residents = [at(i, *buildings[i % 6]) for i in range(120)]
    helpers = [at(f"h{j}", rng.uniform(0, 800), rng.uniform(0, 800)) for j in range(25)]
    dense = assign(residents, helpers)
    transport = assign(residents, helpers, dense_limit=0)
    assert max(Counter(transport.values()).values()) <= capacity(120, 25)
    assert total_distance(residents, helpers, transport) == pytest.approx(
        total_distance(residents, helpers, dense), rel=1e-9)


def test_the_benchmark_runs_and_reports_each_size(capsys):
    from resilience.bench.rollcall import run

    rows = run(sizes=(1,), repeat=1)
    assert rows[0]["residents"] == 400 and rows[0]["helpers"] == 80
    assert rows[0]["max_load"] <= rows[0]["capacity"]
    assert "residents" in capsys.readouterr().out
