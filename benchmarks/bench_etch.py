"""Level-set etch benchmarks (asv).

Targets (issue, 2-core CPU): a 3-D etch of 256 x 256 x 128 cells for 100 time steps
<= 10 s; a 2-D cross-section of 1024 x 512 cells <= 1 s. GPU (when lent) 3-D <= 0.5 s.

The pattern is a 64 nm pitch line/space resist (32 nm lines, 40 nm thick, 1 nm cells) on a
70 nm film over a substrate: the surface has vertical walls through the whole resist and
film, so the narrow band covers much of the volume (the hard case for a narrow band).
The film etches at 1 nm/s directionally with 0.1 nm/s isotropic, the resist at 0.25 nm/s
(selectivity 4). "vertical" ions come straight down; "spread" is a 5 degree Gaussian
angular distribution (17 directions, each with its own shadowing sweep). The time is set
so that the run takes exactly 100 CFL-limited steps (3-D) or runs 60 s (2-D); the whole
``EtchProcess.run`` is timed: domain, rate maps, initial distance, steps,
re-initialisations, visibility and the profile.
"""

from litho.bench import etch_lines as lines
from litho.bench import etch_process_for_steps as process_for_steps
from litho.bench import etch_stack_and_rates
from litho.etch import EtchProcess, IonFlux, Layer, Stack

STACK, RATES = etch_stack_and_rates()  # shared with ``litho bench`` (case etch_3d)
IONS = {"vertical": IonFlux(), "spread": IonFlux(spread=5.0)}


class Etch3D:
    """256 x 256 lateral cells x 129 z cells (40 resist + 70 film + 10 substrate + 9 above)."""

    params = (["vertical", "spread"],)
    param_names = ["ions"]
    number = 1
    repeat = (1, 3, 120.0)
    warmup_time = 0.0
    processes = 1
    timeout = 900.0

    def setup(self, ions):
        self.process = process_for_steps(IONS[ions], 100, 256)
        self.pattern = lines(256.0, 256.0)

    def time_run(self, ions):
        self.process.run(self.pattern, STACK, pixel=1.0, shape=(256, 256), resist_thickness=40.0)


class Etch2D:
    """1024 lateral x ~512 z cells (2-D cross-section: a 300 nm film, 60 s etch)."""

    params = (["vertical", "spread"],)
    param_names = ["ions"]
    number = 1
    repeat = (3, 5, 60.0)
    warmup_time = 0.0
    processes = 1
    timeout = 600.0

    def setup(self, ions):
        self.stack = Stack([Layer("film", 400.0)], substrate_thickness=63.0)
        self.process = EtchProcess(RATES, time=60.0, ions=IONS[ions])
        self.pattern = lines(1024.0, 1.0)

    def time_run(self, ions):
        self.process.run(self.pattern, self.stack, pixel=1.0, shape=(1, 1024), resist_thickness=40.0)
