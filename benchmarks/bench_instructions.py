"""Instructions per request under valgrind's callgrind: a noise-free version of the bulk-overhead ratios.

    python benchmarks/bench_instructions.py [--requests 1000] [--jobs 2]

Wall and CPU time on a shared 2-core machine move by several percent from run to run;
instruction counts do not. Each client of bench_bulk (raw aiohttp + json.loads, the SDK,
the Home Assistant-style client, aiohttp + orjson + stock cattrs) and the SDK with model
structuring switched off runs twice under callgrind, with and without the measured gather
after the same warm-up; the difference divided by the number of requests is what one
request costs. Needs valgrind (Debian package); takes a few minutes (``--jobs`` runs that
many valgrinds at once).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_bulk
from _servers import nginx_path, nginx_serving

RUNNER = """
import asyncio, json, sys
sys.path.insert(0, {bench!r})
import bench_bulk
variant, n, base, ids = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
uuids = json.load(open(ids))
if variant == "sdk-no-models":
    import plugchoice_async.resources._base as base_resource
    import plugchoice_async.resources.chargers as chargers
    base_resource.structure_response = chargers.structure_response = lambda data, cls, **kw: data
run = bench_bulk.RUNS["sdk" if variant == "sdk-no-models" else variant][1]
asyncio.run(run(base, uuids[:200], 64))
if n:
    asyncio.run(run(base, uuids[200:200 + n], 64))
"""


def instructions(runner: Path, variant: str, n: int, base: str, ids: Path) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, str(runner),
         variant, str(n), base, str(ids)],
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"{variant} ({n} requests) failed under valgrind: {out.stderr[-2000:]}")
    match = re.search(r"Collected : (\d+)", out.stderr)
    if match is None:
        raise RuntimeError(f"no callgrind total in: {out.stderr[-500:]}")
    return int(match.group(1))


VARIANTS: dict[str, str] = {
    "raw": bench_bulk.RUNS["raw"][0],
    "sdk": bench_bulk.RUNS["sdk"][0],
    "sdk-no-models": "plugchoice_async, structuring switched off",
    "ha": bench_bulk.RUNS["ha"][0],
    "cattrs": bench_bulk.RUNS["cattrs"][0],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=1, help="valgrind runs at once (default 1)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or nginx_path() is None:
        print("bench_instructions: needs valgrind and nginx (Debian packages); skipped")
        return 0
    uuids, docs = asyncio.run(bench_bulk.fleet_documents(args.requests + 200))
    with tempfile.TemporaryDirectory() as tmp, nginx_serving(docs) as base:
        runner, ids = Path(tmp, "runner.py"), Path(tmp, "uuids.json")
        runner.write_text(RUNNER.format(bench=str(Path(__file__).parent)))
        ids.write_text(json.dumps(uuids))
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            counts = {
                (variant, n): pool.submit(instructions, runner, variant, n, base, ids)
                for variant in VARIANTS
                for n in (args.requests, 0)
            }
            per = {v: (counts[v, args.requests].result() - counts[v, 0].result()) / args.requests for v in VARIANTS}
    print(f"Instructions per GET /chargers/{{uuid}} (callgrind, {args.requests} requests, concurrency 64, nginx)")
    for variant, label in VARIANTS.items():
        print(f"{label:<52} {per[variant]:>10,.0f}  ({per[variant] / per['raw']:.3f} x raw)")
    print(f"typed models (Charger + connectors) cost {per['sdk'] - per['sdk-no-models']:,.0f} instructions a request")
    ratio, target = per["sdk"] / per["raw"], bench_bulk.TARGET
    print(
        f"SDK {ratio:.3f}x raw (target <= {target:.2f}: {'met' if ratio <= target else 'NOT met'}); "
        f"fewer instructions than the typed alternative (cattrs): {'yes' if per['sdk'] < per['cattrs'] else 'no'}; "
        f"than the dict client (ha, for reference): {'yes' if per['sdk'] < per['ha'] else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
