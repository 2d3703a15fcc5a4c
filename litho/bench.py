"""``litho bench``: throughput and latency of the main kernels, as a JSON record.

Each case is timed on the chosen backend with the GPU synchronised around every call,
after one untimed warm-up call (engine choice, FFT plans, kernel upload). The record
names the device, the date, the litho version and the git commit, so results from
different machines can be committed side by side under ``benchmarks/results/``.
"""

from __future__ import annotations

import datetime
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, backend

__all__ = ["run_benchmarks", "CASES", "fem_clip", "etch_stack_and_rates", "etch_lines", "etch_process_for_steps"]

CASES = ("iccad_single", "iccad_batch", "socs_kernels", "abbe_2048", "rasterize_20k", "peb", "develop", "fem",
         "etch_3d")

FEM_FOCUS = tuple(float(f) for f in np.linspace(-100.0, 100.0, 11))  # nm
FEM_DOSE = tuple(float(d) for d in np.linspace(0.85, 1.15, 11))     # relative to nominal
FEM_THRESHOLD = 0.22  # intensity threshold at dose 1 (clear field = 1)


def _synchronize(xp: Any) -> None:
    if xp is not np:
        xp.cuda.Device().synchronize()


def _median_seconds(call: Callable[[], Any], xp: Any, repeat: int) -> float:
    call()  # warm-up: engine choice, plans, uploads
    _synchronize(xp)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        _synchronize(xp)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _device_name(name: str) -> str:
    if name == "cupy":
        info = backend.gpu_info()
        return str(info.get("name", "GPU"))
    return f"{platform.processor() or platform.machine()} ({backend.cpu_threads()} threads)"


def _resist_volumes(xp: Any, shape: tuple[int, int, int]) -> tuple[Any, Any]:
    """Acid (CAR, C E = 1.2 peak) and Mack rate volumes of a 128-nm contact array, float32."""
    from .resist import Mack

    nz, ny, nx = shape
    z = (xp.arange(nz, dtype=xp.float32) + 0.5)[:, None, None]
    y = (xp.arange(ny, dtype=xp.float32) + 0.5)[None, :, None]
    x = (xp.arange(nx, dtype=xp.float32) + 0.5)[None, None, :]
    image = (1 + xp.cos(2 * np.pi * x / 128.0)) * (1 + xp.cos(2 * np.pi * y / 128.0)) / 2
    acid = -xp.expm1(-1.2 * image * xp.exp(-z / 150.0)).astype(xp.float32)
    rate = Mack(100.0, 0.1, 5.0, 0.5).rate(xp.exp(-3.0 * acid).astype(xp.float32))
    return acid, rate


def fem_clip(n: int = 1024) -> tuple[Any, list[Any]]:
    """The focus-exposure benchmark's clip and gauges (the asv benchmark uses the same).

    An ``n`` x ``n`` nm clip: a 45 nm clear-space grating at 90 nm pitch (512 nm long, at
    the bottom) beside an array of 90 nm contact holes at 180 nm pitch (from y = 552 nm).
    Gauges: 10 across the spaces and 10 across the holes (8 along x, 2 along y) at
    ``n = 1024``; a smaller clip keeps the features and gauges that fit inside it.

    Returns
    -------
    layout : Layout
        The clear features, nm.
    gauges : list of Gauge
    """
    from .geometry import Layout
    from .metrology import Gauge

    spaces = [[x, 0.0, x + 45.0, min(512.0, n)] for x in np.arange(22.5, n, 90.0) if x + 45.0 <= n]
    holes = [[x, y, x + 90.0, y + 90.0] for x in np.arange(40.0, n, 180.0) for y in np.arange(552.0, n, 180.0)
             if x + 90 <= n and y + 90 <= n]
    gauges = [Gauge.across((45.0 + 90.0 * k, 256.0), 80.0, name=f"space{k}") for k in range(10)]
    gauges += [Gauge.across((85.0 + 180.0 * (k % 5), 597.0 + 180.0 * (k // 5)), 150.0, name=f"hole{k}")
               for k in range(8)]
    gauges += [Gauge.across((85.0 + 180.0 * k, 777.0), 150.0, orientation="y", name=f"hole_y{k}") for k in (1, 2)]
    inside = [g for g in gauges if all(0.0 <= c <= n for c in (*g.start, *g.end))]
    return Layout.from_rects(spaces + holes), inside


def etch_stack_and_rates() -> tuple[Any, dict[str, Any]]:
    """The etch benchmarks' film stack (70 nm film on 10 nm of substrate) and rates, nm/s.

    The film etches at 1 nm/s directionally and 0.1 nm/s isotropically, the resist at
    0.25 nm/s directionally (selectivity 4).
    """
    from .etch import Layer, Rate, Stack

    return (Stack([Layer("film", 70.0)], substrate_thickness=10.0),
            {"film": Rate(isotropic=0.1, directional=1.0), "resist": Rate(directional=0.25)})


def etch_lines(width: float, length: float, pitch: float = 64.0) -> Any:
    """Resist lines of half the pitch across ``width`` x ``length`` nm (running along y)."""
    from .geometry import Layout

    return Layout.from_rects([[x, 0.0, x + pitch / 2, length] for x in np.arange(0.0, width, pitch)])


def etch_process_for_steps(ions: Any, steps: int, ny: int) -> Any:
    """An EtchProcess with :func:`etch_stack_and_rates`' rates whose CFL-limited run on 1 nm
    cells takes exactly ``steps`` steps (``ny == 1``: a 2-D cross-section)."""
    from .etch import EtchProcess, levelset

    d, w = ions.directions(two_d=ny == 1)
    dt = levelset.cfl_dt((1.0, 1.0, 1.0), ny, 0.1, 1.0, d, w, 0.5)
    return EtchProcess(etch_stack_and_rates()[1], time=steps * dt * (1 - 1e-9), ions=ions)


def run_benchmarks(backend_name: str = "auto", batch: int = 64, repeat: int = 5,
                   cases: tuple[str, ...] = CASES,
                   resist_shape: tuple[int, int, int] = (64, 512, 512), fem_size: int = 1024,
                   etch_shape: tuple[int, int] = (256, 256), etch_steps: int = 100) -> dict[str, Any]:
    """Time the benchmark cases; return the JSON-ready record.

    Parameters
    ----------
    backend_name : {"auto", "numpy", "cupy"}
    batch : int
        Clips per ICCAD batch (the issue's GPU target is stated for batches of 64).
    repeat : int
        Timed repetitions per case (the median is reported).
    cases : tuple of str
        Subset of :data:`CASES`.
    resist_shape : (nz, ny, nx)
        Volume of the resist cases (the issue's targets are stated for 64 x 512 x 512).
    fem_size : int
        Side of the FEM clip, nm at 1 nm pixels (target stated for 1024).
    etch_shape : (ny, nx)
        Lateral cells of the 3-D etch (1 nm; target stated for 256 x 256, with 129 z cells).
    etch_steps : int
        Time steps of the 3-D etch (target stated for 100).
    """
    from .datasets import iccad2013
    from .geometry import Layout, rasterize
    from .imaging import SOCS, abbe_image
    from .optics import Optics, Source

    name = backend.resolve_backend(backend_name)
    xp = backend.get_array_module(name)
    results: dict[str, Any] = {}
    target = iccad2013.target(1, backend=name)
    mask = target.astype(xp.float32)
    if "iccad_single" in cases:
        seconds = _median_seconds(lambda: iccad2013.evaluate(mask, target), xp, repeat)
        results["iccad_single"] = {"seconds": seconds, "what": "ICCAD-2013 3-corner evaluation, one 2048^2 clip"}
    if "iccad_batch" in cases:
        masks = xp.broadcast_to(mask, (batch,) + mask.shape).copy()
        seconds = _median_seconds(lambda: iccad2013.evaluate(masks, target), xp, max(1, repeat // 2))
        results["iccad_batch"] = {"seconds": seconds, "batch": batch, "clips_per_second": batch / seconds,
                                  "what": f"ICCAD-2013 evaluation, batches of {batch} clips"}
    optics = Optics(wavelength=193.0, na=1.35, immersion=1.44, source=Source.annular(0.6, 0.9))
    if "socs_kernels" in cases:
        seconds = _median_seconds(lambda: SOCS.from_optics(optics, 1.0, (2048, 2048), cache=False), np, repeat)
        results["socs_kernels"] = {"seconds": seconds, "what": "SOCS kernels, 193i annular 0.6/0.9, 1 nm, 2048^2, cold"}
    if "abbe_2048" in cases:
        seconds = _median_seconds(lambda: abbe_image(mask, optics, 1.0, source_step=0.1), xp, repeat)
        results["abbe_2048"] = {"seconds": seconds, "source_points": len(optics.source.sample(0.1)[1]),
                                "what": "Abbe image, 2048^2, annular 0.6/0.9 at source step 0.1"}
    if "rasterize_20k" in cases:
        rng = np.random.default_rng(0)
        x0, y0 = rng.integers(0, 1988, (2, 20_000))
        w, h = rng.integers(4, 60, (2, 20_000))
        layout = Layout.from_rects(np.c_[x0, y0, x0 + w, y0 + h].astype(float))
        seconds = _median_seconds(lambda: rasterize(layout, 1.0, (2048, 2048), backend=name), xp, repeat)
        results["rasterize_20k"] = {"seconds": seconds, "what": "20,000 rectangles onto 2048^2, area mode"}
    if "peb" in cases or "develop" in cases:
        from .resist import PEB, arrival_time

        acid, rate = _resist_volumes(xp, resist_shape)
        size = "x".join(map(str, resist_shape))
        if "peb" in cases:
            peb = PEB(time=60.0, acid_diffusivity=2.5, k_amp=0.08, quencher=0.2)
            seconds = _median_seconds(lambda: peb.bake(acid, (1.0, 1.0, 1.0)), xp, repeat)
            results["peb"] = {"seconds": seconds, "shape": list(resist_shape),
                              "what": f"PEB {size} voxels float32, static quencher, {peb.steps} steps"}
        if "develop" in cases:
            seconds = _median_seconds(lambda: arrival_time(rate, 1.0), xp, max(1, repeat // 2))
            results["develop"] = {"seconds": seconds, "shape": list(resist_shape),
                                  "what": f"developer arrival {size} voxels float32, contact array, full march "
                                          f"({'plane sweep' if xp is not np else 'fast marching'})"}
    if "fem" in cases:
        from .imaging import aerial_image
        from .imaging.mask import BinaryMask
        from .process_window import fem

        layout, gauges = fem_clip(fem_size)
        fem_mask = BinaryMask(layout)
        fem_optics = Optics(193.0, 1.35, Source.annular(0.6, 0.9), immersion=1.44)

        def simulate(f: float) -> Any:
            return aerial_image(fem_mask, fem_optics.with_defocus(f), 1.0, method="abbe",
                                shape=(fem_size, fem_size), backend=name)

        seconds = _median_seconds(lambda: fem(simulate, FEM_FOCUS, FEM_DOSE, gauges, threshold=FEM_THRESHOLD,
                                              pixel=1.0), xp, max(1, repeat // 2))
        results["fem"] = {"seconds": seconds, "shape": [fem_size, fem_size], "gauges": len(gauges),
                          "what": f"FEM {len(FEM_FOCUS)} focus x {len(FEM_DOSE)} dose, {fem_size}^2 clip, "
                                  f"{len(gauges)} gauges, Abbe re-imaging per focus"}
    if "etch_3d" in cases:
        from .etch import IonFlux

        ny, nx = etch_shape
        stack = etch_stack_and_rates()[0]
        process = etch_process_for_steps(IonFlux(), etch_steps, ny)
        pattern = etch_lines(float(nx), float(ny))
        last: list[Any] = []

        def etch() -> None:
            last[:] = [process.run(pattern, stack, pixel=1.0, shape=(ny, nx), resist_thickness=40.0, backend=name)]

        seconds = _median_seconds(etch, xp, max(1, repeat // 2))
        results["etch_3d"] = {"seconds": seconds, "shape": list(last[0].phi.shape), "steps": last[0].steps,
                              "what": "3-D level-set etch of 64 nm pitch resist lines (40 nm) into a 70 nm film, "
                                      "vertical ions, selectivity 4"}
    return {
        "litho_version": __version__,
        "commit": _commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "backend": name,
        "device": _device_name(name),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "results": results,
    }
