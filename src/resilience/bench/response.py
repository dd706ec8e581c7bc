"""``resilience bench response``: the evacuation plan (min-cost flow over the walking graph) and
the roll-call assignment (balanced helpers), each at the demo's size, 10× and 100×."""
from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def run(args) -> int:
    from resilience.bench import evacuation, rollcall

    sizes = (1, 10) if getattr(args, "quick", False) else (1, 10, 100)
    print("Evacuation plan (buildings → open shelters, min-cost flow; target < 2 s at 1×)")
    evac = evacuation.run(sizes=sizes)
    print("\nRoll-call assignment (vulnerable residents → helpers, balanced; target < 1 s at 1×)")
    roll = rollcall.run(sizes=sizes)
    path = Path(getattr(args, "output", None) or "benchmarks/results/response.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                "evacuation": evac, "rollcall": roll}, indent=2, default=str))
    print(f"\nResults written to {path}")
    return 0
