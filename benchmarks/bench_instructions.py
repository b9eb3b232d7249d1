"""Instructions per request under valgrind's callgrind: a noise-free version of the bulk-overhead ratio.

    python benchmarks/bench_instructions.py [--requests 1000]

Wall and CPU time on a shared 2-core machine move by several percent from run to run;
instruction counts do not. Each variant (raw aiohttp + json.loads, the SDK, and the SDK
with model structuring switched off) runs twice under callgrind, with and without the
measured gather after the same warm-up; the difference divided by the number of requests
is what one request costs. Needs valgrind (Debian package); takes a few minutes.
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
    import plugchoice_async.resources.chargers as chargers
    chargers.structure_response = lambda data, cls, **kw: data
run = bench_bulk.raw_run if variant == "raw" else bench_bulk.sdk_run
asyncio.run(run(base, uuids[:200], 64))
if n:
    asyncio.run(run(base, uuids[200:200 + n], 64))
"""


def instructions(runner: Path, variant: str, n: int, base: str, ids: Path) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, str(runner),
         variant, str(n), base, str(ids)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    match = re.search(r"Collected : (\d+)", out.stderr)
    if match is None:
        raise RuntimeError(f"no callgrind total in: {out.stderr[-500:]}")
    return int(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    if shutil.which("valgrind") is None or nginx_path() is None:
        print("bench_instructions: needs valgrind and nginx (Debian packages); skipped")
        return 0
    uuids, docs = asyncio.run(bench_bulk.fleet_documents(args.requests + 200))
    with tempfile.TemporaryDirectory() as tmp, nginx_serving(docs) as base:
        runner, ids = Path(tmp, "runner.py"), Path(tmp, "uuids.json")
        runner.write_text(RUNNER.format(bench=str(Path(__file__).parent)))
        ids.write_text(json.dumps(uuids))
        per: dict[str, float] = {}
        for variant in ("raw", "sdk", "sdk-no-models"):
            full = instructions(runner, variant, args.requests, base, ids)
            warm = instructions(runner, variant, 0, base, ids)
            per[variant] = (full - warm) / args.requests
    print(f"Instructions per GET /chargers/{{uuid}} (callgrind, {args.requests} requests, concurrency 64, nginx)")
    for variant, label in (
        ("raw", "raw aiohttp + json.loads -> dicts"),
        ("sdk", "plugchoice_async chargers.get -> Charger"),
        ("sdk-no-models", "plugchoice_async, structuring switched off"),
    ):
        print(f"{label:<46} {per[variant]:>10,.0f}  ({per[variant] / per['raw']:.2f} x raw)")
    print(f"typed models (Charger + connectors) cost {per['sdk'] - per['sdk-no-models']:,.0f} instructions a request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
