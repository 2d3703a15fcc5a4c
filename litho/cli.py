"""The ``litho`` command.

Subcommands live in a small registry: a function decorated with
``@subcommand(name, help)`` receives its :class:`argparse.ArgumentParser`, adds its
arguments and returns the handler ``handler(args) -> int`` (the exit code). Adding a
command (``demo``, ``run``, ``image``, ``decompose``, ``fem``, ``bench``) means adding one
such builder; :func:`main` needs no change.

Exit codes: 0 success, 1 a litho error (printed as one line, no traceback), 2 usage
errors (argparse's convention; also ``litho`` with no command).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from .errors import LithoError

Handler = Callable[[argparse.Namespace], int]
Builder = Callable[[argparse.ArgumentParser], Handler]

_SUBCOMMANDS: dict[str, tuple[str, Builder]] = {}  # registry filled at import, read-only after


def subcommand(name: str, help: str) -> Callable[[Builder], Builder]:
    """Register ``builder(parser) -> handler`` as the subcommand ``name``."""

    def register(builder: Builder) -> Builder:
        _SUBCOMMANDS[name] = (help, builder)
        return builder

    return register


def build_parser() -> argparse.ArgumentParser:
    """The ``litho`` argument parser with every registered subcommand."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="litho",
        description="Lithography and patterning simulation kernels (CPU and CUDA GPU).",
    )
    parser.add_argument("--version", action="version", version=f"litho {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, builder) in _SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=builder(sub))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``litho`` command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; ``None`` reads ``sys.argv[1:]``.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: keep main() returning
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.handler(args))
    except LithoError as exc:
        print(f"litho {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


# --------------------------------------------------------------------------- info


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _kernels_info() -> dict[str, Any]:
    try:
        import litho._kernels.raster  # noqa: F401
    except ImportError as exc:
        return {"status": "not built", "reason": str(exc)}
    import pkgutil

    import litho._kernels

    modules = sorted(m.name for m in pkgutil.iter_modules(litho._kernels.__path__))
    return {"status": "built", "modules": modules}


def collect_info() -> dict[str, Any]:
    """Everything ``litho info`` reports, as a JSON-serialisable dict."""
    from . import __version__, backend, config

    settings = config.get()
    gpu = backend.gpu_info()
    try:
        resolved = backend.resolve_backend(settings.backend)
    except LithoError:
        resolved = "unavailable"
    memory: dict[str, Any] = {
        "budget_setting": settings.memory_budget,
        "budget_rule": "fixed" if settings.memory_budget is not None else "50% of the memory available",
        "cpu_available": config.available_memory("cpu"),
        "cpu_budget": config.memory_budget_bytes("cpu"),
    }
    if gpu["available"]:
        memory["gpu_budget"] = config.memory_budget_bytes("gpu")
    return {
        "version": __version__,
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
            "platform": platform.platform(),
        },
        "packages": {name: _dist_version(dist) for name, dist in
                     (("numpy", "numpy"), ("scipy", "scipy"), ("gdstk", "gdstk"), ("pyfftw", "pyFFTW"))},
        "kernels": _kernels_info(),
        "cpu": {"cores": os.cpu_count(), "usable_cores": backend.cpu_threads()},
        "settings": {
            "precision": settings.precision,
            "backend": settings.backend,
            "resolved_backend": resolved,
            "fft_engine": settings.fft_engine,
            "gpu_fft_plan_cache": settings.gpu_fft_plan_cache,
        },
        "fft": backend.fft_info(),
        "gpu": gpu,
        "memory": memory,
    }


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def format_info(info: dict[str, Any]) -> str:
    """The human-readable ``litho info`` report for :func:`collect_info`'s dict."""
    py, fft, gpu, mem, st = info["python"], info["fft"], info["gpu"], info["memory"], info["settings"]
    packages = "  ".join(f"{k} {v or 'not installed'}" for k, v in info["packages"].items())
    kernels = info["kernels"]
    lines = [
        f"litho {info['version']}",
        f"Python       {py['version']} ({py['implementation']}) on {py['platform']}",
        f"Packages     {packages}",
        "Kernels      " + (f"built ({', '.join(kernels['modules'])})" if kernels["status"] == "built"
                          else "not built (Cython kernels; build with: pip install -e .)"),
        f"CPU          {info['cpu']['cores']} cores ({info['cpu']['usable_cores']} usable)",
        f"FFT (CPU)    engines: {', '.join(fft['engines'])}; setting: {fft['setting']}; "
        f"threads: {fft['threads']}",
        f"             rule: {fft['rule']}",
    ]
    for m in fft["measured"]:
        lines.append(f"             measured {m['kind']} {tuple(m['shape'])} {m['dtype']}: {m['engine']}")
    if gpu["available"]:
        lines.append(f"GPU          {gpu['name']}, {_gib(gpu['total_memory'])} ({_gib(gpu['free_memory'])} free), "
                     f"CuPy {gpu['cupy_version']}, CUDA runtime {gpu['cuda_runtime']}")
        lines.append(f"FFT (GPU)    cupyx.scipy.fft, plan cache bounded to {fft['gpu_plan_cache_size']} plans")
    else:
        lines.append(f"GPU          none ({gpu['reason']})")
    budget = f"CPU {_gib(mem['cpu_budget'])} ({mem['budget_rule']}; {_gib(mem['cpu_available'])} available)"
    if "gpu_budget" in mem:
        budget += f", GPU {_gib(mem['gpu_budget'])}"
    lines.append(f"Memory       budget: {budget}")
    lines.append(f"Settings     precision={st['precision']} backend={st['backend']} (-> {st['resolved_backend']}) "
                 f"fft_engine={st['fft_engine']}")
    return "\n".join(lines)


@subcommand("info", help="show versions, compiled kernels, FFT engines, GPU and memory budget")
def _info_command(parser: argparse.ArgumentParser) -> Handler:
    parser.add_argument("-j", "--json", action="store_true", help="print a JSON object instead of text")

    def run(args: argparse.Namespace) -> int:
        info = collect_info()
        print(json.dumps(info, indent=2) if args.json else format_info(info))
        return 0

    return run


# --------------------------------------------------------------------------- demo


@subcommand("demo", help="run a whole patterning study on bundled data (single exposure with resist and etch, process window, LELE); write its figures")
def _demo_command(parser: argparse.ArgumentParser) -> Handler:
    parser.add_argument("-o", "--output", default="litho-demo", metavar="DIR",
                        help="folder for the figures, GDS contours and summary.json (default: ./litho-demo)")
    parser.add_argument("-j", "--json", action="store_true", help="print the summary as JSON instead of a table")

    def run(args: argparse.Namespace) -> int:
        from .demo import format_summary, run_demo

        summary = run_demo(args.output)
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            print(format_summary(summary))
            print(f"files written to {args.output}/: {', '.join(summary['files'])}")
        return 0

    return run


# --------------------------------------------------------------------------- run


@subcommand("run", help="run a flow described in TOML on a layout; write contours (GDS), metrics (JSON) and images")
def _run_command(parser: argparse.ArgumentParser) -> Handler:
    _flow_arguments(parser)
    parser.add_argument("-o", "--output", default="litho-run", metavar="DIR", help="output folder (default ./litho-run)")
    parser.add_argument("-j", "--json", action="store_true", help="print the metrics as JSON")

    def run(args: argparse.Namespace) -> int:
        from .backend import to_numpy

        config, layout, window, pixel, backend = _flow_inputs(args)
        result = config.flow.run(layout, window=window, pixel=pixel, backend=backend)
        out = _output_folder(args.output)
        metrics = result.summary() | {"flow": args.flow, "layout": args.layout}
        result.contours.write(out / "printed.gds")
        _write_npy(out / "aerial_image.npy", to_numpy(result.image.intensity))
        _write_json(out / "metrics.json", metrics)
        if args.json:
            print(json.dumps(_json_safe(metrics), indent=2))
        else:
            width = max(map(len, metrics))
            print("\n".join(f"{k:<{width}}  {v:.4g}" if isinstance(v, float) else f"{k:<{width}}  {v}"
                            for k, v in metrics.items()))
            print(f"written to {out}/: printed.gds, aerial_image.npy, metrics.json")
        return 0

    return run


# --------------------------------------------------------------------------- image, fem


def _flow_inputs(args: argparse.Namespace) -> tuple[Any, Any, tuple[float, ...], float, str]:
    """(config, layout, window, pixel, backend) from a command's flow/layout options."""
    from .errors import InvalidParameterError
    from .flow import load_flow
    from .geometry.layout import Layout

    config = load_flow(args.flow)
    layout = Layout.read(args.layout)
    if args.layer is not None:
        layout = layout.select(args.layer)
        if not layout.polygons:
            raise InvalidParameterError("layer", f"{args.layer[0]}/{args.layer[1]}", f"a layer present in {args.layout}")
    window = tuple(args.window) if args.window is not None else config.window
    pixel = args.pixel if args.pixel is not None else config.pixel
    backend = args.backend if args.backend is not None else config.backend
    return config, layout, window, pixel, backend


def _mask_of(config: Any, layout: Any, window: Any, pixel: float, backend: str) -> Any:
    """The flow file's mask stage run on the layout's grid (a MaskResult)."""
    from .backend import resolve_backend
    from .flow.stages import FlowInput, grid_for_window

    shape, origin = grid_for_window(window, pixel)
    return config.flow.mask.run(FlowInput(layout, pixel, shape, origin, resolve_backend(backend)))


def _flow_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("flow", help="flow file (TOML; its [grid], [mask] and [optics] are used)")
    parser.add_argument("--layout", required=True, help="layout (GDSII, OASIS or GLP), nm")
    parser.add_argument("--layer", type=_layer_pair, help="LAYER/DATATYPE (default: all polygons)")
    parser.add_argument("--window", type=float, nargs=4, metavar=("X0", "Y0", "X1", "Y1"),
                        help="simulation window, nm (default: the flow file's)")
    parser.add_argument("--pixel", type=float, help="pixel, nm (default: the flow file's)")
    parser.add_argument("--backend", choices=["auto", "numpy", "cupy"], help="default: the flow file's")


def _output_folder(path: str) -> Any:
    from pathlib import Path

    from .errors import InvalidParameterError

    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError("output", str(out), "a folder (it is a file)")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _json_safe(data: Any) -> Any:
    """data with NaN/inf floats as null (strict JSON has no NaN)."""
    import math

    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _json_safe(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_json_safe(v) for v in data]
    return data


def _write_npy(path: Any, array: Any) -> None:
    import numpy as np

    from ._atomic import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, array)


def _write_json(path: Any, data: Any) -> None:
    from ._atomic import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_json_safe(data), indent=2, allow_nan=False) + "\n")


@subcommand("image", help="aerial image of a layout with a flow file's optics and mask; .npy (and PNG)")
def _image_command(parser: argparse.ArgumentParser) -> Handler:
    _flow_arguments(parser)
    parser.add_argument("-o", "--output", default="litho-image", metavar="DIR", help="output folder")
    parser.add_argument("-j", "--json", action="store_true", help="print the image statistics as JSON")

    def run(args: argparse.Namespace) -> int:
        import importlib.util
        import time

        from ._atomic import atomic_path
        from .backend import to_numpy

        config, layout, window, pixel, backend = _flow_inputs(args)
        start = time.perf_counter()
        mask = _mask_of(config, layout, window, pixel, backend)
        origin = mask.input.origin
        image = to_numpy(config.flow.imaging.run(mask).intensity)
        seconds = time.perf_counter() - start
        out = _output_folder(args.output)
        _write_npy(out / "aerial_image.npy", image)
        stats = {"shape": list(image.shape), "pixel_nm": pixel, "origin_nm": list(origin), "min": float(image.min()),
                 "max": float(image.max()), "mean": float(image.mean()), "backend": mask.input.backend,
                 "seconds": round(seconds, 3)}
        _write_json(out / "image.json", stats)
        if importlib.util.find_spec("matplotlib") is not None:
            from .metrology.plots import plot_image

            fig = plot_image(image, pixel, origin, target=layout, title=f"aerial image ({args.flow})",
                             label="relative intensity")
            with atomic_path(out / "aerial_image.png") as tmp:
                fig.savefig(tmp, dpi=150)
        print(json.dumps(_json_safe(stats), indent=2) if args.json else
              f"aerial image {image.shape[1]} x {image.shape[0]} at {pixel:g} nm: min {stats['min']:.4f}, "
              f"max {stats['max']:.4f}, mean {stats['mean']:.4f} ({stats['backend']}, {seconds:.2f} s) -> {out}/")
        return 0

    return run


@subcommand("fem", help="focus-exposure matrix of the aerial image at gauges; CD table, ED window, DOF/EL")
def _fem_command(parser: argparse.ArgumentParser) -> Handler:
    _flow_arguments(parser)
    parser.add_argument("--gauge", type=float, nargs=4, action="append", required=True,
                        metavar=("X0", "Y0", "X1", "Y1"), help="a CD gauge across a feature, nm (repeatable)")
    parser.add_argument("--feature", choices=["line", "space"], default="line",
                        help="dark lines (below the threshold) or bright spaces (default line)")
    parser.add_argument("--focus", type=float, nargs=3, default=[-100.0, 100.0, 9], metavar=("FIRST", "LAST", "N"),
                        help="focus values, nm (default -100 100 9)")
    parser.add_argument("--dose", type=float, nargs=3, default=[0.8, 1.25, 9], metavar=("FIRST", "LAST", "N"),
                        help="relative doses, geometric (default 0.8 1.25 9)")
    parser.add_argument("--threshold", type=float, default=0.3, help="print threshold at dose 1 (default 0.3)")
    parser.add_argument("--target", type=float, required=True, help="target CD, nm")
    parser.add_argument("--tolerance", type=float, help="CD tolerance, nm (default 10 %% of the target)")
    parser.add_argument("--el", type=float, default=5.0, help="exposure latitude for the DOF, %% (default 5)")
    parser.add_argument("-o", "--output", default="litho-fem", metavar="DIR", help="output folder")
    parser.add_argument("-j", "--json", action="store_true", help="print the results as JSON")

    def run(args: argparse.Namespace) -> int:
        import dataclasses
        import importlib.util

        import numpy as np

        from ._atomic import atomic_path
        from ._progress import progress
        from .backend import to_numpy
        from .errors import InvalidParameterError
        from .metrology import Gauge
        from .process_window import ed_window, fem

        config, layout, window, pixel, backend = _flow_inputs(args)
        for name, (first, last, n) in (("focus", args.focus), ("dose", args.dose)):
            if n < 2 or n != int(n):
                raise InvalidParameterError(name, n, "a whole number of values >= 2")
        focus = np.linspace(args.focus[0], args.focus[1], int(args.focus[2]))
        if args.dose[0] <= 0 or args.dose[1] <= args.dose[0]:
            raise InvalidParameterError("dose", args.dose[:2], "0 < FIRST < LAST")
        dose = np.geomspace(args.dose[0], args.dose[1], int(args.dose[2]))
        region = "below" if args.feature == "line" else "above"
        gauges = [Gauge((g[0], g[1]), (g[2], g[3]), name=f"g{k}", region=region) for k, g in enumerate(args.gauge)]
        mask = _mask_of(config, layout, window, pixel, backend)
        origin, be = mask.input.origin, mask.input.backend
        optics = config.flow.imaging.optics

        bar = iter(progress(range(len(focus)), "focus", total=len(focus)))

        def simulate(f: float) -> Any:
            next(bar, None)
            stage = dataclasses.replace(config.flow.imaging, optics=dataclasses.replace(optics, defocus=float(f)))
            return to_numpy(stage.run(mask).intensity)

        matrix = fem(simulate, focus, dose, gauges, threshold=args.threshold, pixel=pixel, origin=origin)
        tolerance = 0.1 * args.target if args.tolerance is None else args.tolerance
        ed = ed_window(matrix, args.target, tolerance)
        out = _output_folder(args.output)
        with atomic_path(out / "fem.csv") as tmp:
            lines = ["focus_nm,dose," + ",".join(f"cd_{g.name}_nm" for g in gauges)]
            for i, f in enumerate(focus):
                for j, d in enumerate(dose):
                    lines.append(f"{f:g},{d:.6g}," + ",".join(f"{matrix.cd[i, j, k]:.6g}" for k in range(len(gauges))))
            tmp.write_text("\n".join(lines) + "\n")
        report = {"gauges": len(gauges), "focus_nm": focus.tolist(), "dose": dose.tolist(),
                  "target_nm": args.target, "tolerance_nm": tolerance, "dof_nm": float(ed.dof(args.el)),
                  "el_pct": args.el, "best_focus_nm": float(ed.best_focus), "best_dose": float(ed.best_dose),
                  "backend": be}
        _write_json(out / "fem.json", report)
        if importlib.util.find_spec("matplotlib") is not None:
            from .process_window import plot_bossung, plot_ed_window

            for name, fig in (("bossung.png", plot_bossung(matrix, 0, target=args.target, tolerance=tolerance,
                                                           dose_unit="x nominal")),
                              ("ed_window.png", plot_ed_window(ed, el=args.el, dose_unit="x nominal"))):
                with atomic_path(out / name) as tmp:
                    fig.savefig(tmp, dpi=150)
        print(json.dumps(_json_safe(report), indent=2) if args.json else
              f"DOF {report['dof_nm']:.0f} nm at {args.el:g} % EL; best focus {report['best_focus_nm']:.1f} nm, "
              f"best dose {report['best_dose']:.3f} x ({len(focus)} x {len(dose)} matrix, {len(gauges)} gauges) -> {out}/")
        return 0

    return run


# --------------------------------------------------------------------------- decompose


def _layer_pair(text: str) -> tuple[int, int]:
    try:
        layer, _, datatype = text.partition("/")
        return int(layer), int(datatype or 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LAYER/DATATYPE such as 101/0, got {text!r}") from None


@subcommand("decompose", help="split a layer into k masks (LELE, TPL, QPL) with minimum conflicts")
def _decompose_command(parser: argparse.ArgumentParser) -> Handler:
    parser.add_argument("layout", help="input layout (GDSII, OASIS or GLP)")
    parser.add_argument("--masks", type=int, default=3, help="number of masks k (2 LELE, 3 TPL, 4 QPL; default 3)")
    parser.add_argument("--min-space", type=float, required=True, help="colouring distance, nm")
    parser.add_argument("--layer", type=_layer_pair, help="LAYER/DATATYPE to decompose (default: all polygons)")
    parser.add_argument("--stitches", action="store_true", help="allow stitches")
    parser.add_argument("--stitch-weight", type=float, default=0.1, help="cost of a stitch (default 0.1)")
    parser.add_argument("--solver", choices=["exact", "fast"], default="exact")
    parser.add_argument("--balance", action="store_true", help="even the mask densities")
    parser.add_argument("-o", "--output", help="write masks (layer 100+c) and markers to this GDS/OASIS file")
    parser.add_argument("-j", "--json", action="store_true", help="print a JSON object")

    def run(args: argparse.Namespace) -> int:
        from .geometry import Layout
        from .multipatterning import decompose

        layout = Layout.read(args.layout, layer=args.layer)
        result = decompose(layout, args.masks, args.min_space, stitches=args.stitches, solver=args.solver,
                           stitch_weight=args.stitch_weight, balance=args.balance)
        if args.output:
            result.write(args.output)
        if args.json:
            record = result.to_dict() | {"layout": args.layout, "output": args.output}
            print(json.dumps(record, indent=2))
        else:
            print(result.summary())
        return 0

    return run


# --------------------------------------------------------------------------- bench


@subcommand("bench", help="time the main kernels (ICCAD evaluation, SOCS, Abbe, rasterize, PEB, develop, "
                    "FEM, 3-D etch); JSON record")
def _bench_command(parser: argparse.ArgumentParser) -> Handler:
    from .bench import CASES

    parser.add_argument("--backend", default="auto", choices=["auto", "numpy", "cupy"],
                        help="where to run (default: the GPU when usable)")
    parser.add_argument("--batch", type=int, default=64, help="clips per ICCAD batch (default 64)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions per case (median)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {','.join(CASES)}")
    parser.add_argument("-o", "--output", help="write the JSON record to this file (atomically)")

    def run(args: argparse.Namespace) -> int:
        from ._atomic import atomic_path
        from .bench import run_benchmarks
        from .errors import InvalidParameterError

        cases = tuple(c for c in args.cases.split(",") if c)
        unknown = sorted(set(cases) - set(CASES))
        if unknown or not cases:
            raise InvalidParameterError("--cases", args.cases, f"a comma-separated subset of {', '.join(CASES)}")
        if args.batch < 1 or args.repeat < 1:
            raise InvalidParameterError("--batch/--repeat", (args.batch, args.repeat), "positive integers")
        record = run_benchmarks(args.backend, batch=args.batch, repeat=args.repeat, cases=cases)
        text = json.dumps(record, indent=2)
        if args.output:
            with atomic_path(args.output) as tmp:
                tmp.write_text(text + "\n")
        print(text)
        return 0

    return run


# --------------------------------------------------------------------------- iccad2013


def _iccad_target(text: str) -> tuple[Any, Any]:
    """(target array, what to report) for ``--target N`` (a clip number) or a PNG path."""
    from ._png import read_gray
    from .datasets import iccad2013

    if text.strip().isdigit():
        index = int(text)
        return iccad2013.target(index, backend="numpy"), index
    return read_gray(text, iccad2013.SHAPE, name="target") > 0.5, text


@subcommand("iccad2013", help="score masks with the ICCAD-2013 contest model (L2, PV band); write targets")
def _iccad2013_command(parser: argparse.ArgumentParser) -> Handler:
    actions = parser.add_subparsers(dest="iccad_action", metavar="ACTION", required=True)
    evaluate = actions.add_parser(
        "eval", help="L2 and PV band of a mask image",
        description="Score a 2048x2048 mask image (1 nm pixels; grayscale, or RGB read as "
                    "luminance; 8-bit values /255, 16-bit /65535; the image's top row is y = 2047) "
                    "with the contest model: L2 against the target and the PV band, in pixels.")
    evaluate.add_argument("mask", metavar="MASK.png", help="the mask image")
    evaluate.add_argument("--target", required=True, metavar="N|TARGET.png",
                          help="a clip number 1..10 (its target in the contest frame) or a target image "
                               "(pixels > 0.5 are the pattern)")
    evaluate.add_argument("--reading", choices=("exact", "legacy"), default="exact",
                          help="kernel file reading (default exact; legacy: older research code's)")
    evaluate.add_argument("-j", "--json", action="store_true", help="print a JSON object instead of text")
    write = actions.add_parser(
        "target", help="write the target of a clip as a PNG image",
        description="Write the target of clip N (offset by +512 nm, pixel-centre rule) as an 8-bit "
                    "2048x2048 PNG: 255 pattern, 0 background, top row y = 2047.")
    write.add_argument("index", type=int, metavar="N", help="the clip number, 1..10")
    write.add_argument("-o", "--output", required=True, metavar="FILE.png", help="the PNG file to write")

    def run(args: argparse.Namespace) -> int:
        from ._png import read_gray, write_gray
        from .datasets import iccad2013

        if args.iccad_action == "target":
            pattern = iccad2013.target(args.index, backend="numpy")
            try:
                write_gray(args.output, pattern)
            except OSError as exc:  # missing directory, no permission, disk full
                reason = exc.strerror or str(exc)
                if args.output not in reason:
                    reason = f"cannot write {args.output}: {reason}"
                print(f"litho iccad2013: error: {reason}", file=sys.stderr)
                return 1
            return 0
        wanted, target_name = _iccad_target(args.target)
        mask = read_gray(args.mask, iccad2013.SHAPE, name="mask")
        result = iccad2013.evaluate(mask, wanted, reading=args.reading)
        report = {"l2": result["l2"], "pvb": result["pvb"], "mask": args.mask,
                  "target": target_name, "reading": args.reading}
        if args.json:
            print(json.dumps(report))
        else:
            print(f"L2 {report['l2']}  PV band {report['pvb']}  "
                  f"(mask {args.mask}, target {target_name}, reading {args.reading})")
        return 0

    return run


if __name__ == "__main__":
    raise SystemExit(main())
