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
    parser.add_argument("flow", help="flow file (TOML; see examples/*.toml)")
    parser.add_argument("--layout", required=True, help="target layout (GDSII, OASIS or GLP), nm")
    parser.add_argument("--layer", type=_layer_pair, help="LAYER/DATATYPE of the target (default: all polygons)")
    parser.add_argument("--window", type=float, nargs=4, metavar=("X0", "Y0", "X1", "Y1"),
                        help="simulation window, nm (default: the flow file's [grid] window)")
    parser.add_argument("--pixel", type=float, help="pixel, nm (default: the flow file's)")
    parser.add_argument("--backend", choices=["auto", "numpy", "cupy"], help="default: the flow file's")
    parser.add_argument("-o", "--output", default="litho-run", metavar="DIR", help="output folder (default ./litho-run)")
    parser.add_argument("-j", "--json", action="store_true", help="print the metrics as JSON")

    def run(args: argparse.Namespace) -> int:
        from pathlib import Path

        import numpy as np

        from ._atomic import atomic_path
        from .backend import to_numpy
        from .errors import InvalidParameterError
        from .flow import load_flow
        from .geometry.layout import Layout

        config = load_flow(args.flow)
        layout = Layout.read(args.layout)
        if args.layer is not None:
            layout = layout.select(args.layer)
            if not layout.polygons:
                raise InvalidParameterError("layer", f"{args.layer[0]}/{args.layer[1]}",
                                            f"a layer present in {args.layout}")
        result = config.run(layout, window=args.window, pixel=args.pixel, backend=args.backend)
        out = Path(args.output)
        if out.exists() and not out.is_dir():
            raise InvalidParameterError("output", str(out), "a folder (it is a file)")
        out.mkdir(parents=True, exist_ok=True)
        metrics = result.summary() | {"flow": args.flow, "layout": args.layout}
        result.contours.write(out / "printed.gds")
        with atomic_path(out / "aerial_image.npy") as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, to_numpy(result.image.intensity))
        with atomic_path(out / "metrics.json") as tmp:
            tmp.write_text(json.dumps(metrics, indent=2) + "\n")
        if args.json:
            print(json.dumps(metrics, indent=2))
        else:
            width = max(map(len, metrics))
            print("\n".join(f"{k:<{width}}  {v:.4g}" if isinstance(v, float) else f"{k:<{width}}  {v}"
                            for k, v in metrics.items()))
            print(f"written to {out}/: printed.gds, aerial_image.npy, metrics.json")
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


@subcommand("bench", help="time the main kernels (ICCAD evaluation, SOCS, Abbe, rasterize); JSON record")
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
