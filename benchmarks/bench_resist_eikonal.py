"""Development-front (eikonal) benchmarks (asv).

Target (issue, 2-core CPU): develop 64 x 512 x 512 voxels <= 5 s with the fast-marching
kernel, full march (``t_max=None``), kernel call included; also timed with ``t_max`` set to
the develop time, where marching stops early.

The rate field is Mack's kinetic model (R_max = 100 nm/s, R_min = 0.1 nm/s, n = 5,
m_th = 0.5) of the inhibitor left by an exposure with an aerial image of 128 nm pitch and
a standing wave plus absorption in depth: "lines" is a line/space pattern (varies in x
and z), "contacts" a square array of contact holes (varies in x, y and z). 1 nm voxels,
64 nm resist, 512 x 512 nm lateral, periodic. Rates span 0.1 ... 100 nm/s, so the front
races through the exposed regions and then creeps laterally into the lines: the hard
case for a priority-queue march (the front is spread over the whole volume).
"""

import numpy as np

from litho.resist.development import Mack
from litho.resist.eikonal import arrival_time

SHAPE = (64, 512, 512)
PITCH = 128.0  # nm
DEVELOP_TIME = 60.0  # s


def mack_rate(pattern: str, shape=SHAPE, dose: float = 1.2) -> np.ndarray:
    """Mack development rate (nm/s) of a line/space or contact exposure, float64 (nz, ny, nx)."""
    nz, ny, nx = shape
    z = (np.arange(nz) + 0.5)[:, None, None]
    y = (np.arange(ny) + 0.5)[None, :, None]
    x = (np.arange(nx) + 0.5)[None, None, :]
    if pattern == "lines":
        image = 0.5 * (1 + np.cos(2 * np.pi * x / PITCH)) * np.ones_like(y)
    else:
        image = (0.5 * (1 + np.cos(2 * np.pi * x / PITCH))) * (0.5 * (1 + np.cos(2 * np.pi * y / PITCH)))
        image = 2.0 * image
    depth = np.exp(-z / 150.0) * (1 + 0.2 * np.cos(4 * np.pi * z / 40.0))  # absorption, standing wave
    m = np.exp(-dose * image * depth)  # inhibitor left after exposure
    return Mack(r_max=100.0, r_min=0.1, n=5.0, m_th=0.5).rate(m)


class DevelopFastMarching:
    """64 x 512 x 512 voxels, Mack rates 0.1-100 nm/s, fast marching (order 2, periodic).

    ``dtype`` is the rate's: float32 is litho's default precision (the march computes in
    float64 either way; a float32 rate halves the memory it streams).
    """

    params = (["lines", "contacts"], ["full", "t_max"], ["float32", "float64"])
    param_names = ["pattern", "march", "dtype"]
    number = 1
    repeat = (3, 5, 60.0)
    warmup_time = 0.0
    processes = 1
    timeout = 600.0

    def setup(self, pattern, march, dtype):
        self.rate = mack_rate(pattern).astype(dtype)
        self.t_max = None if march == "full" else DEVELOP_TIME
        arrival_time(self.rate[:4, :16, :16], 1.0)  # import the kernel outside the timing

    def time_arrival_time(self, pattern, march, dtype):
        arrival_time(self.rate, 1.0, t_max=self.t_max)


class DevelopSweepNumpy:
    """The plane-sweep solver (the GPU algorithm) on the CPU with numpy, 32 x 64 x 64."""

    number = 1
    repeat = (3, 5, 60.0)
    warmup_time = 0.0
    processes = 1

    def setup(self):
        self.rate = mack_rate("contacts", shape=(32, 64, 64))

    def time_arrival_time_sweep(self):
        arrival_time(self.rate, (2.0, 8.0, 8.0), method="sweep")
