"""Build script: compiles every ``kernels/*.pyx`` into ``litho._kernels.<name>``.

Metadata lives in ``pyproject.toml``; this file only declares the extensions.
"""

import os
import sys
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent

COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
    "nonecheck": False,
    "embedsignature": True,
}

# Extensions built with OpenMP (prange); they are correct, and identical, run serially.
# LITHO_NO_OPENMP=1 builds them without it; a compiler that rejects -fopenmp falls back.
OPENMP_KERNELS = {"levelset", "peb"}
OPENMP_FLAGS = ["-fopenmp"]
# Extra per-kernel compile flags. -fno-math-errno: sqrt without the errno branch (levelset
# never takes the root of a negative number); -fno-trapping-math: no floating-point traps,
# which lets GCC turn the selects of the branch-free row loops into vector blends, i.e.
# vectorise them (without it only the AVX-512 clones vectorise, through masking).
KERNEL_FLAGS = {"levelset": ["-fno-math-errno", "-fno-trapping-math"], "peb": ["-fno-trapping-math"]}


def _use_openmp() -> bool:
    return os.environ.get("LITHO_NO_OPENMP", "") in ("", "0") and sys.platform.startswith("linux")


class BuildExt(build_ext):
    """Retry an OpenMP extension without OpenMP if the compiler or linker rejects it."""

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception:  # CompileError / LinkError (their module differs across setuptools versions)
            if not any(flag in ext.extra_compile_args for flag in OPENMP_FLAGS):
                raise
            print(f"warning: building {ext.name} without OpenMP", file=sys.stderr)
            ext.extra_compile_args = [a for a in ext.extra_compile_args if a not in OPENMP_FLAGS]
            ext.extra_link_args = [a for a in ext.extra_link_args if a not in OPENMP_FLAGS]
            super().build_extension(ext)


def kernel_extensions() -> list[Extension]:
    """One extension module per Cython source in ``kernels/``."""
    extensions = []
    for pyx in sorted((HERE / "kernels").glob("*.pyx")):
        openmp = OPENMP_FLAGS if pyx.stem in OPENMP_KERNELS and _use_openmp() else []
        extensions.append(
            Extension(
                name=f"litho._kernels.{pyx.stem}",
                sources=[str(pyx.relative_to(HERE))],
                include_dirs=[numpy.get_include()],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"), ("NDEBUG", None)],
                extra_compile_args=["-O3", *openmp, *KERNEL_FLAGS.get(pyx.stem, [])],
                extra_link_args=list(openmp),
            )
        )
    return extensions


setup(
    ext_modules=cythonize(kernel_extensions(), compiler_directives=COMPILER_DIRECTIVES, quiet=True),
    cmdclass={"build_ext": BuildExt},
)
