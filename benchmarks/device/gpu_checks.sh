#!/usr/bin/env bash
# The GPU checks of a session lent a device machine, as one command (run there from the
# repository root, with .whl carried: see fetch_wheels.sh). Sized for the 15 minutes of
# device time a session gets, the machine's start included:
#
#   1. install the carried wheels into /tmp/site, build the Cython kernels in place;
#   2. `pytest -m gpu` (CPU against GPU results, every GPU path)   <= TEST_LIMIT s;
#   3. `litho bench --backend cupy` (every case, the issues' GPU targets) <= BENCH_LIMIT s
#      (BENCH_CASES: a comma-separated subset, for a rerun that skips what already ran).
#
# Without a GPU the same script checks its own plumbing on the CuPy emulation:
#   LITHO_EMULATE_CUPY=1 PYTHONPATH=tests/emulated_cupy PYTHON=.venv/bin/python BENCH_CASES=peb \
#       benchmarks/device/gpu_checks.sh
#
# Writes into $OUT (the device tool brings it back): build.log, info.json, gpu-tests.log,
# bench.json. Commit bench.json as benchmarks/results/<date>-<device>.json.
# Exit status: 0 all passed, 3 install failed, 4 build failed, 5 tests failed, 6 bench failed.
set -uo pipefail
OUT=${OUT:-/tmp/litho-gpu-checks}
PY=${PYTHON:-python3}
TEST_LIMIT=${TEST_LIMIT:-300}
BENCH_LIMIT=${BENCH_LIMIT:-240}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
cd "$(dirname "$0")/../.."
if compgen -G ".whl/*.whl" > /dev/null; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || exit 3
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
$PY setup.py build_ext --inplace -q -j "$(nproc)" > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 4; }
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
$PY -m litho info -j > "$OUT/info.json" 2>&1 || cat "$OUT/info.json"
status=0
timeout "$TEST_LIMIT" $PY -m pytest -m gpu -q -ra -p no:cacheprovider 2>&1 | tee "$OUT/gpu-tests.log" | tail -25
[ "${PIPESTATUS[0]}" -eq 0 ] || status=5
CASES=${BENCH_CASES:-peb,develop,fem,etch_3d,iccad_single,iccad_batch,socs_kernels,abbe_2048,rasterize_20k}
timeout "$BENCH_LIMIT" $PY -m litho bench --backend "${BENCH_BACKEND:-cupy}" --repeat 3 --cases "$CASES" \
    -o "$OUT/bench.json" \
    > /dev/null 2> "$OUT/bench.err" || { cat "$OUT/bench.err"; [ "$status" -ne 0 ] || status=6; }
[ -f "$OUT/bench.json" ] && $PY - "$OUT/bench.json" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))
print(record["device"], record["backend"], record["commit"])
for case, r in record["results"].items():
    print(f"  {case:15s} {r['seconds'] * 1e3:10.2f} ms  {r['what']}")
PY
exit $status
