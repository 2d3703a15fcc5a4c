"""Post-exposure bake benchmarks (asv).

Target (issue, 2-core CPU): PEB of 64 x 512 x 512 voxels <= 2 s in float32 with the
default steps and realistic parameters: sigma = 17 nm over 60 s, K_amp = 0.08/s,
quencher 0.2 with fast (default) neutralisation, acid loss 0.002/s.

The acid is a dense line/space + contact-like 2-D image (pitch 90 nm in x, 256 nm in
y) with a standing wave (period 57 nm) and absorption in z, on 2 nm x 2 nm x 1.5 nm voxels
(a 1 um x 1 um x 96 nm resist), exposed to h in [0.04, 0.9].
"""

import numpy as np

from litho.resist.peb import PEB

SHAPE = (64, 512, 512)
SPACING = (1.5, 2.0, 2.0)


def exposed_acid(shape=SHAPE, spacing=SPACING, dtype=np.float32):
    nz, ny, nx = shape
    z = (np.arange(nz) + 0.5) * spacing[0]
    y = np.arange(ny) * spacing[1]
    x = np.arange(nx) * spacing[2]
    lateral = 0.02 + 0.49 * (1 + np.cos(2 * np.pi * x / 90.0))[None, :] \
        * (0.7 + 0.3 * np.cos(2 * np.pi * y / 256.0))[:, None]
    swing = (1 + 0.2 * np.cos(2 * np.pi * z / 57.0)) * np.exp(-z / 800.0)
    return (1 - np.exp(-2.0 * swing[:, None, None] * lateral[None])).astype(dtype)


class BakeCAR:
    """The issue's case: static quencher (the usual model), diffusing quencher, no quencher.

    "no quencher" is solved exactly in one spectral step (no splitting); the others use
    the default Strang steps.
    """

    params = ["static quencher", "diffusing quencher", "no quencher"]
    param_names = ["case"]
    timeout = 120

    def setup(self, case):
        self.acid = exposed_acid()
        kw = {"static quencher": dict(quencher=0.2, k_loss=0.002),
              "diffusing quencher": dict(quencher=0.2, quencher_diffusivity=0.6, k_loss=0.002),
              "no quencher": dict(k_loss=0.002)}[case]
        self.peb = PEB.from_diffusion_length(17.0, 60.0, 0.08, **kw)
        # warm up: FFT engine choice (timed once per shape) and pyFFTW plans
        self.peb.bake(self.acid, SPACING)

    def time_bake_64x512x512(self, case):
        self.peb.bake(self.acid, SPACING)


class BakeSteps:
    """Cost per splitting step (static quencher, 64 x 512 x 512 float32)."""

    params = [4, 6, 8, 16]
    param_names = ["steps"]
    timeout = 180

    def setup(self, steps):
        self.acid = exposed_acid()
        self.peb = PEB.from_diffusion_length(17.0, 60.0, 0.08, quencher=0.2, k_loss=0.002, steps=steps)
        # warm up the FFT engine choice and plans of this shape with a 1-step bake
        PEB.from_diffusion_length(17.0, 60.0, 0.08, quencher=0.2, steps=1).bake(self.acid, SPACING)

    def time_bake_steps(self, steps):
        self.peb.bake(self.acid, SPACING)
