"""Build script: compiles every ``kernels/*.pyx`` into ``litho._kernels.<name>``.

Metadata lives in ``pyproject.toml``; this file only declares the extensions.
"""

from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

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


def kernel_extensions() -> list[Extension]:
    """One extension module per Cython source in ``kernels/``."""
    extensions = []
    for pyx in sorted((HERE / "kernels").glob("*.pyx")):
        extensions.append(
            Extension(
                name=f"litho._kernels.{pyx.stem}",
                sources=[str(pyx.relative_to(HERE))],
                include_dirs=[numpy.get_include()],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"), ("NDEBUG", None)],
                extra_compile_args=["-O3"],
            )
        )
    return extensions


setup(ext_modules=cythonize(kernel_extensions(), compiler_directives=COMPILER_DIRECTIVES, quiet=True))
