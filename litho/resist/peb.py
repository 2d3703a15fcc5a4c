"""Post-exposure bake (PEB) of a chemically amplified resist: acid diffusion, quenching, amplification.

The bake evolves three relative concentrations on a resist volume ``(nz, ny, nx)`` (z = 0
at the resist top, voxel centres at ``(iz + 1/2) dz``): the photo-acid ``h``, the base
quencher ``q`` and the blocked (protected) inhibitor ``m``::

    dh/dt = D_h lap(h) - k_q h q - k_loss h
    dq/dt = D_q lap(q) - k_q h q
    dm/dt = -k_amp h m,                 m(0) = 1, q(0) = q0 (uniform)

Boundaries: periodic laterally (the aerial images are periodic), no flux at the top and
the bottom of the resist (z).

Diffusion
---------
Exact in the spectral domain: a real 2-D FFT laterally (:func:`litho.backend.rfft2`)
and a DCT-II along z, the exact eigenbasis of reflective (no-flux) boundaries for
cell-centred samples; each mode is multiplied by ``exp(-(D |k|^2 + k_loss) t)``, so a
step is exact for any length. ``laplacian="spectral"`` (default) uses the exact
continuous symbol, ``k_x = 2 pi f_x``, ``k_z = pi j / (nz dz)``: exact for the
band-limited interpolant of the samples. ``laplacian="discrete"`` uses the eigenvalues
of the 3-point Laplacian on the same modes, ``(2/d sin(k d / 2))^2``: the finite-
difference semi-discretisation integrated exactly in time, O(d^2) less accurate for
resolved features but a positive semigroup (concentrations never go below 0; a point
source still has variance exactly 2 D t). The spectral symbol is not positivity-
preserving: where a fast neutralisation leaves a kink and a step's diffusion length
``sqrt(2 D dt)`` is below ~1.5 voxels, the step rings below 0 by up to ~1e-5 here, and
the negative acid is then "neutralised" by the quencher (which grows, e.g. to 0.21 for q0
= 0.2 over 1024 steps of the accuracy case below). At the default steps the per-step
length is 7 nm for sigma = 17 nm and this does not arise on 2-4 nm voxels; for
convergence studies in ``steps``, use ``"discrete"``. The two operators differ by
O((k d)^2): 2.7e-3 in the inhibitor for the accuracy case below.

Along z, for ``nz <= DENSE_Z_MAX``, the DCT -> symbol -> inverse DCT is precomputed as the
``nz x nz`` matrix ``C^T diag(exp(-D k_z^2 t)) C`` (built with the DCT itself) and applied
by one matrix product to the lateral spectrum: the same exact operator, 2-4x cheaper
than two strided transforms for resist thicknesses (measured up to nz = 512).

Reactions
---------
Neutralisation ``h' = q' = -k h q`` keeps ``d = h - q`` constant and is solved in closed
form: with the minority species ``a = min(h, q)``, the excess ``delta = |d|``,
``y = -k delta t`` and ``phi(y) = expm1(y)/y``::

    a(t) = a0 e^y / (1 + a0 k t phi(y)),      int_0^t a = log1p(a0 k t phi(y)) / k

and the majority is ``a + delta`` (its integral ``int a + delta t``). Every term is
bounded (``e^y, phi(y) in (0, 1]``), so the step is exact and unconditionally stable for
any ``k`` (instantaneous included) and for ``delta -> 0``. (This is the issue's formula
``h = h0 e^x / (1 + h0 k t phi(x))``, ``x = k d t``, and its overflow-free rewrite for
``x > 0``, written once for whichever species is in the minority.) The deprotection is
``m = exp(-k_amp int_0^T h dt)`` with the acid-time integral summed from the exact
integrals of the neutralisation sub-steps.

Time stepping
-------------
Without neutralisation (``quencher == 0`` or ``k_quench == 0``) the bake is linear with
constant coefficients and is solved exactly in one spectral step for any ``steps``:
``h(T) = F^-1[e^(-r T) F h0]`` and ``int h dt = F^-1[T phi(-r T) F h0]`` with
``r = k_loss + D |k|^2``.

Otherwise: Strang splitting ``N(dt/2) E(dt) N(dt/2)`` per step, ``dt = time / steps``,
with ``N`` the exact neutralisation (carrying the deprotection) and ``E`` the exact
linear step (diffusion of each species and the acid loss, which commutes with
diffusion); the half steps of adjacent steps are merged. The stiff operator sits at the
ends: the issue's nesting ``loss(dt/4) N(dt/2) loss(dt/4)`` was measured first order
for fast neutralisation (the acid decays before the instantaneous neutralisation that
should precede it, an O(k_loss q0 dt) error per bake), this ordering second order.

Accuracy
--------
Second order for a smooth (non-stiff) neutralisation: observed order 1.96 - 1.99 between
8, 16 and 32 steps (``tests/resist/test_resist_peb.py``). A fast neutralisation (the
default ``k_quench``) makes the acid/quencher boundary a moving front (a Stefan-like free
boundary); splitting places it to first order, and the error concentrates in the
quencher-dominated dark region next to the front.

Default :data:`DEFAULT_STEPS` = 6, float64, against a 1024-step reference (32 x 128 x 128
voxels of 2.5 x 4 x 4 nm, a 2-D line/contact acid image in [0.03, 0.91] with a standing
wave, sigma = 17.4 nm over 60 s, ``k_amp`` = 0.08/s, ``quencher`` = 0.2, default
``k_quench``, ``k_loss`` = 0.005/s): the m = 0.5 contour moves by at most 0.20 nm; the
inhibitor is within 1.2e-2 where 0.2 < m < 0.8, rms 7.2e-3, max 3.8e-2 (at m ~ 0.96, in
the dark region). With a diffusing quencher (``D_q = D_h / 4``): 0.17 nm, 1.6e-2, 7.0e-3,
3.0e-2. The errors fall as ``1/steps`` (8 steps: 0.15 nm, 9.3e-3, 5.5e-3, 3.1e-2; 16
steps: 0.08 nm, 4.8e-3, 2.8e-3, 1.7e-2). Six steps keep the issue's speed target with
a margin (64 x 512 x 512 float32 voxels in <= 2 s on 2 cores; each step costs ~0.2 s
there, see ``benchmarks/bench_resist_peb.py``). Non-uniform steps (finer at the start or
at the end) were measured no better.

Cost
----
Per step: a lateral FFT pair per diffusing species, the z propagator (a small dense
matrix product) and one neutralisation pass. On the CPU in float32 the pass is the
Cython kernel ``litho._kernels.peb`` (the expressions of :func:`_neutralise` fused into
one vectorised loop: 0.02 s for 64 x 512 x 512 voxels on 2 cores, against 0.16 s for the
whole-array operations); float64 and CuPy run :func:`_neutralise` by chunks.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from .. import config
from .._fft import cpu_threads
from .._validate import choice, finite_number, integer, nonnegative_number, number_in, positive_number, real_array, spacing3
from ..backend import array_module, irfft2, is_gpu_array, rfft2
from ..errors import InvalidParameterError

__all__ = [
    "GAS_CONSTANT",
    "DEFAULT_STEPS",
    "DEFAULT_K_QUENCH",
    "arrhenius",
    "diffusion_length",
    "car_deprotection",
    "PEB",
    "BakeResult",
    "diffuse",
]

#: Molar gas constant R in kcal/(mol K).
GAS_CONSTANT = 1.98720425864083e-3
#: Default number of Strang splitting steps (see the module docstring for its accuracy).
DEFAULT_STEPS = 6
#: Default acid-quencher neutralisation rate constant, 1/s per unit relative concentration.
#: With q0 ~ 0.1 the neutralisation time 1/(k q0) is 10 ms, three to four orders of
#: magnitude below a bake: effectively instantaneous (the closed-form reaction step is
#: exact and stable for any k, so a larger value costs nothing).
DEFAULT_K_QUENCH = 1000.0
#: Largest nz for which the z diffusion is applied as a dense nz x nz matrix (the DCT
#: operator precomputed); above it, DCT-II / inverse DCT-II transforms are used.
DENSE_Z_MAX = 512
#: Elements per chunk of the pointwise reaction kernel on the CPU (a chunk's temporaries
#: stay in the L2 cache) and on the GPU (bounds the temporaries' memory).
CPU_CHUNK = 1 << 16
GPU_CHUNK = 1 << 22
#: Largest rate constant accepted (1/s): far beyond instantaneous on any bake time scale,
#: and small enough that products like k t stay finite in float32.
MAX_RATE = 1e15
#: Smallest |y| used in phi(y) = expm1(y)/y (y = 0 would be 0/0; phi(-1e-30) == 1 exactly).
_TINY = 1e-30


# --------------------------------------------------------------------------- closed forms


def arrhenius(ln_ar: float, ea: float, temperature: float) -> float:
    """Acid diffusivity from the Arrhenius law, ``D = exp(ln_ar - Ea / (R T))``.

    Parameters
    ----------
    ln_ar : float
        ``ln(A_r / (nm^2/s))``, the natural log of the pre-exponential factor in nm²/s.
    ea : float
        Activation energy ``Ea``, kcal/mol (>= 0).
    temperature : float
        Bake temperature, °C (> -273.15).

    Returns
    -------
    float
        Diffusivity ``D``, nm²/s (``R`` = :data:`GAS_CONSTANT`, ``T`` in kelvin).

    Examples
    --------
    >>> round(arrhenius(40.0, 30.0, 115.0), 3)
    3.023
    """
    ln_ar = finite_number("ln_ar", ln_ar)
    ea = nonnegative_number("ea", ea, "kcal/mol")
    temperature = number_in("temperature", temperature, -273.15, math.inf, "°C", low_open=True)
    value = ln_ar - ea / (GAS_CONSTANT * (temperature + 273.15))
    if value > 700.0:
        raise InvalidParameterError("ln_ar", ln_ar, "a value giving a finite diffusivity")
    return math.exp(value)


def diffusion_length(diffusivity: float, time: float) -> float:
    """Diffusion length ``sigma = sqrt(2 D t)``, nm (the standard deviation of the spread).

    Parameters
    ----------
    diffusivity : float
        ``D``, nm²/s (>= 0).
    time : float
        Bake time ``t``, s (>= 0).

    Returns
    -------
    float
        ``sigma``, nm: a point source spreads into a Gaussian of variance ``sigma**2``
        along each axis.
    """
    diffusivity = nonnegative_number("diffusivity", diffusivity, "nm^2/s")
    time = nonnegative_number("time", time, "s")
    return math.sqrt(2.0 * diffusivity * time)


def car_deprotection(h: Any, k_amp: float, time: float) -> Any:
    """Blocked fraction after a bake without diffusion, ``m = exp(-k_amp h t)``.

    The closed-form solution of the amplification reaction ``dm/dt = -k_amp h m`` with
    ``m(0) = 1`` for a constant acid concentration.

    Parameters
    ----------
    h : float or numpy.ndarray or cupy.ndarray
        Relative acid concentration (>= 0, dimensionless).
    k_amp : float
        Amplification rate constant ``K_amp``, 1/s (>= 0).
    time : float
        Bake time, s (>= 0).

    Returns
    -------
    float or numpy.ndarray or cupy.ndarray
        ``m`` (1 = fully protected): a float for scalar ``h``, otherwise an array of the
        dtype and on the device of ``h``.
    """
    k_amp = nonnegative_number("k_amp", k_amp, "1/s")
    time = nonnegative_number("time", time, "s")
    if isinstance(h, numbers.Real) and not isinstance(h, bool):
        return math.exp(-k_amp * nonnegative_number("h", h) * time)
    arr = real_array("h", h, low=0.0, what="a relative acid concentration")
    xp = array_module(arr)
    return xp.exp(arr * arr.dtype.type(-k_amp * time))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class BakeResult:
    """State of the resist at the end of a post-exposure bake.

    Attributes
    ----------
    inhibitor : numpy.ndarray or cupy.ndarray
        Blocked (protected) fraction ``m``, ``(nz, ny, nx)``, in [0, 1] (1 = fully protected).
    acid : numpy.ndarray or cupy.ndarray
        Relative acid concentration ``h`` at the end of the bake, ``(nz, ny, nx)``.
    quencher : numpy.ndarray or cupy.ndarray
        Relative quencher concentration ``q`` at the end of the bake, ``(nz, ny, nx)``.

    All three have the float dtype and the device of the acid passed to :meth:`PEB.bake`.
    """

    inhibitor: Any
    acid: Any
    quencher: Any


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class PEB:
    """Post-exposure bake of a chemically amplified resist (see the module docstring).

    Parameters
    ----------
    time : float
        Bake time, s (>= 0).
    acid_diffusivity : float
        Acid diffusivity ``D_h``, nm²/s (>= 0). Use :meth:`PEB.arrhenius` to give it by
        the Arrhenius law, or :meth:`PEB.from_diffusion_length` to give ``sqrt(2 D t)``.
    k_amp : float
        Amplification (deprotection) rate constant ``K_amp``, 1/s (>= 0).
    quencher : float
        Initial relative quencher concentration ``q0`` (>= 0, uniform; 0: no quencher).
    quencher_diffusivity : float
        Quencher diffusivity ``D_q``, nm²/s (>= 0; default 0, a static base).
    k_quench : float
        Neutralisation rate constant of acid + quencher, 1/s per unit relative
        concentration (>= 0). The default :data:`DEFAULT_K_QUENCH` (1000/s) is
        effectively instantaneous; 0 switches neutralisation off. Unused when
        ``quencher == 0``.
    k_loss : float
        First-order acid loss rate, 1/s (>= 0; default 0).
    steps : int
        Strang splitting steps (>= 1) when neutralisation is active. The default
        :data:`DEFAULT_STEPS` = 6 keeps the m = 0.5 contour within ~0.2 nm and the
        inhibitor within ~1.2e-2 where 0.2 < m < 0.8 of the converged bake for a typical
        fast neutralisation (4e-2 at worst, in the dark region next to the quencher
        front; see the module docstring). The error falls as ``1/steps`` for fast
        neutralisation, ``1/steps**2`` for slow; each step costs two lateral FFTs per
        diffusing species and one reaction pass. Without neutralisation the bake is
        solved exactly and ``steps`` is not used.
    laplacian : {"spectral", "discrete"}
        The diffusion operator: the exact continuous symbol (default) or the 3-point
        Laplacian integrated exactly in time (positivity-preserving; module docstring).
    """

    time: float
    acid_diffusivity: float
    k_amp: float
    quencher: float = 0.0
    quencher_diffusivity: float = 0.0
    k_quench: float = DEFAULT_K_QUENCH
    k_loss: float = 0.0
    steps: int = DEFAULT_STEPS
    laplacian: str = "spectral"

    def __post_init__(self) -> None:
        for name, unit in (("time", "s"), ("acid_diffusivity", "nm^2/s"), ("quencher", ""),
                           ("quencher_diffusivity", "nm^2/s")):
            object.__setattr__(self, name, nonnegative_number(name, getattr(self, name), unit))
        for name in ("k_amp", "k_quench", "k_loss"):
            object.__setattr__(self, name, number_in(name, getattr(self, name), 0.0, MAX_RATE, "1/s"))
        object.__setattr__(self, "steps", integer("steps", self.steps, 1))
        choice("laplacian", self.laplacian, ("spectral", "discrete"))

    @classmethod
    def arrhenius(cls, ln_ar: float, ea: float, temperature: float, time: float, k_amp: float,
                  **kwargs: Any) -> PEB:
        """A bake whose acid diffusivity follows the Arrhenius law (see :func:`arrhenius`).

        Parameters
        ----------
        ln_ar : float
            ``ln(A_r / (nm^2/s))``.
        ea : float
            Activation energy, kcal/mol.
        temperature : float
            Bake temperature, °C.
        time : float
            Bake time, s.
        k_amp : float
            Amplification rate constant, 1/s.
        **kwargs
            The other fields of :class:`PEB` (``quencher``, ``k_loss``, ...).
        """
        return cls(time=time, acid_diffusivity=arrhenius(ln_ar, ea, temperature), k_amp=k_amp, **kwargs)

    @classmethod
    def from_diffusion_length(cls, sigma: float, time: float, k_amp: float, **kwargs: Any) -> PEB:
        """A bake whose acid spreads by ``sigma = sqrt(2 D t)`` nm over ``time`` s.

        Parameters
        ----------
        sigma : float
            Acid diffusion length, nm (>= 0).
        time : float
            Bake time, s (> 0).
        k_amp : float
            Amplification rate constant, 1/s.
        **kwargs
            The other fields of :class:`PEB`.
        """
        sigma = nonnegative_number("sigma", sigma, "nm")
        time = positive_number("time", time, "s")
        return cls(time=time, acid_diffusivity=sigma * sigma / (2.0 * time), k_amp=k_amp, **kwargs)

    @property
    def diffusion_length(self) -> float:
        """Acid diffusion length ``sqrt(2 D_h t)``, nm."""
        return math.sqrt(2.0 * self.acid_diffusivity * self.time)

    @property
    def neutralises(self) -> bool:
        """Whether acid-quencher neutralisation is active (``quencher > 0`` and ``k_quench > 0``)."""
        return self.quencher > 0.0 and self.k_quench > 0.0

    def bake(self, acid: Any, spacing: Any) -> BakeResult:
        """Bake a resist volume.

        Parameters
        ----------
        acid : numpy.ndarray or cupy.ndarray
            Relative acid concentration ``h`` after exposure, ``(nz, ny, nx)`` with z = 0
            at the resist top, values >= 0 relative to the mean PAG concentration (at most 1
            from the deterministic exposure; a stochastic exposure can exceed 1 in voxels
            holding more PAG than the mean). float32 is computed in float32, float64 in
            float64 (integers are converted to float64).
        spacing : float or (float, float, float)
            Voxel size ``(dz, dy, dx)``, nm (one number: cubic voxels).

        Returns
        -------
        BakeResult
            Inhibitor, acid and quencher at the end of the bake, on the device and in the
            float dtype of ``acid``.

        Raises
        ------
        InvalidParameterError
            ``acid`` is not a 3-D real array of finite values >= 0 (the error names
            the first bad voxel, ``acid[iz, iy, ix]``), or ``spacing`` is not positive.
        MemoryBudgetError
            The working arrays (about 10 volumes) exceed the memory budget.
        """
        dz, dy, dx = spacing3("spacing", spacing)
        h0 = real_array("acid", acid, ndim=3, low=0.0, what="a relative acid concentration")
        dtype = np.dtype(np.float32) if h0.dtype.itemsize <= 4 else np.dtype(np.float64)
        nz, ny, nx = (int(n) for n in h0.shape)
        gpu = is_gpu_array(h0)
        nbytes = _working_bytes(self, (nz, ny, nx), dtype)
        config.check_memory(
            nbytes, f"a post-exposure bake of {nz} x {ny} x {nx} {dtype.name} voxels",
            "bake the volume in lateral tiles with a halo of about 4 diffusion lengths "
            f"({4 * max(self.diffusion_length, 1e-9):.0f} nm) on each side",
            device="gpu" if gpu else "cpu",
        )
        grid = _Grid(nz, ny, nx, dz, dy, dx, dtype, array_module(h0), self.laplacian)
        if self.neutralises:
            return _bake_split(self, h0.astype(dtype, copy=True), grid)
        return _bake_linear(self, h0.astype(dtype, copy=False), grid)


# --------------------------------------------------------------------------- internals


def _working_bytes(peb: PEB, shape: tuple[int, int, int], dtype: np.dtype) -> int:
    """Estimated peak working memory of a bake, bytes (volumes of ``dtype`` + spectra)."""
    nz, ny, nx = shape
    real = nz * ny * nx * dtype.itemsize
    spectrum = 2 * nz * ny * (nx // 2 + 1) * dtype.itemsize
    if peb.neutralises:
        # h, q, int h, the old and the new h around a step; per diffusing species a spectrum
        # and its z product; the FFT engine's own buffers (about one spectrum)
        return 5 * real + spectrum * (3 + 2 * (peb.quencher_diffusivity > 0.0))
    # linear: quencher, the z transform, the acid and its inverse transforms; the spectrum,
    # its time-integral copy and two real symbols (one spectrum together)
    return 4 * real + 3 * spectrum


class _Grid:
    """Shape, spacing, precision and array module of a bake, with its spectral helpers."""

    def __init__(self, nz: int, ny: int, nx: int, dz: float, dy: float, dx: float, dtype: np.dtype,
                 xp: Any, laplacian: str = "spectral") -> None:
        self.shape = (nz, ny, nx)
        self.nz, self.ny, self.nx = nz, ny, nx
        self.dtype = dtype
        self.xp = xp
        self.gpu = xp is not np
        # continuous squared wavenumbers, rad^2/nm^2 (float64 on the host)
        kz = np.pi * np.arange(nz) / (nz * dz)
        ky = 2.0 * np.pi * np.fft.fftfreq(ny, dy)
        kx = 2.0 * np.pi * np.fft.rfftfreq(nx, dx)
        if laplacian == "discrete":  # eigenvalues of the 3-point Laplacian (same eigenvectors)
            kz, ky, kx = (2 / dz) * np.sin(kz * dz / 2), (2 / dy) * np.sin(ky * dy / 2), (2 / dx) * np.sin(kx * dx / 2)
        self.kz2 = kz ** 2
        self.kxy2 = ky[:, None] ** 2 + kx[None, :] ** 2
        self.dense_z = nz <= DENSE_Z_MAX
        self.laplacian = laplacian

    def device(self, a: np.ndarray) -> Any:
        """``a`` (host float64) in the bake's dtype on its device."""
        return self.xp.asarray(a.astype(self.dtype))

    def z_operator(self, diffusivity: float, t: float) -> np.ndarray:
        """The exact no-flux z propagator ``C^T diag(exp(-D k_z^2 t)) C`` (host, float64)."""
        eye = np.eye(self.nz)
        lam = np.exp(-diffusivity * t * self.kz2)
        return _dct(lam[:, None] * _dct(eye), inverse=True)


def _dct(x: Any, inverse: bool = False) -> Any:
    """Orthonormal DCT-II (or its inverse) along axis 0, on the device of ``x``."""
    if is_gpu_array(x):
        import cupyx.scipy.fft as gfft

        return (gfft.idct if inverse else gfft.dct)(x, type=2, axis=0, norm="ortho")
    import scipy.fft

    return (scipy.fft.idct if inverse else scipy.fft.dct)(x, type=2, axis=0, norm="ortho",
                                                          workers=cpu_threads())


def _phi_neg(y: Any, xp: Any) -> Any:
    """``(1 - exp(-y)) / y`` for ``y >= 0`` (1 at y = 0), elementwise."""
    y = xp.maximum(y, _TINY)
    return -xp.expm1(-y) / y


def diffuse(volume: Any, sigma: float, spacing: Any) -> Any:
    """Diffuse a concentration in [0, 1] by a Gaussian of standard deviation ``sigma`` nm per axis.

    The bake's exact linear operator (spectral laterally periodic, no-flux DCT-II in z),
    e.g. the inhibitor diffusion of a DNQ resist's post-exposure bake.

    Parameters
    ----------
    volume : array (nz, ny, nx)
        Relative concentration in [0, 1], numpy or CuPy.
    sigma : float
        Diffusion length ``sqrt(2 D t)``, nm (>= 0; 0 returns the volume).
    spacing : float or (dz, dy, dx)
        Voxel size, nm.
    """
    sigma = nonnegative_number("sigma", sigma, "nm")
    if sigma == 0.0:
        return volume
    return PEB(time=1.0, acid_diffusivity=0.5 * sigma * sigma, k_amp=0.0).bake(volume, spacing).acid


# --------------------------------------------------------------------------- linear bake


def _bake_linear(peb: PEB, h0: Any, g: _Grid) -> BakeResult:
    """Exact bake without neutralisation: diffusion + acid loss, deprotection by the acid integral."""
    xp, dtype, t = g.xp, g.dtype, peb.time
    lam, d = peb.k_loss, peb.acid_diffusivity
    q = xp.full(g.shape, peb.quencher, dtype=dtype) if peb.quencher > 0 else xp.zeros(g.shape, dtype=dtype)
    if d == 0.0 or t == 0.0:
        decay = dtype.type(math.exp(-lam * t))
        integral = dtype.type(t * float(_phi_neg(np.float64(lam * t), np)))  # int_0^t e^(-lam s) ds
        inhibitor = xp.multiply(h0, dtype.type(-peb.k_amp) * integral)
        xp.exp(inhibitor, out=inhibitor)
        return BakeResult(inhibitor, h0 * decay, q)
    # 3-D spectrum: DCT-II along z (real), real FFT laterally
    spec = rfft2(_dct(h0))                                   # (nz, ny, nx//2+1)
    kz2, kxy2 = g.device(g.kz2), g.device(g.kxy2)
    rate = xp.add(kz2[:, None, None], kxy2[None])            # |k|^2
    rate *= dtype.type(d * t)
    rate += dtype.type(lam * t)                              # (k_loss + D |k|^2) T
    weight = _phi_neg(rate, xp)
    weight *= dtype.type(t)                                  # int_0^T of each mode's decay
    spec_int = spec * weight
    del weight
    xp.negative(rate, out=rate)
    xp.exp(rate, out=rate)                                   # each mode's decay at T
    spec *= rate
    del rate
    acid = _dct(irfft2(spec, (g.ny, g.nx), overwrite_x=True), inverse=True)
    del spec
    integral = _dct(irfft2(spec_int, (g.ny, g.nx), overwrite_x=True), inverse=True)
    del spec_int
    integral *= dtype.type(-peb.k_amp)
    xp.minimum(integral, dtype.type(0.0), out=integral)   # int h dt >= 0 despite ringing: m <= 1
    xp.exp(integral, out=integral)
    return BakeResult(integral, acid, q)


# --------------------------------------------------------------------------- split bake


class _Linear:
    """Exact linear step of one species over ``dt``: diffusion and first-order loss.

    ``a -> F^-1[exp(-(loss + D |k|^2) dt) F a]`` with the lateral rFFT and the z DCT
    operator; without diffusion just ``a exp(-loss dt)`` (in place).
    """

    def __init__(self, g: _Grid, diffusivity: float, loss: float, dt: float) -> None:
        self.g = g
        self.diffuses = diffusivity > 0.0
        self.decay = g.dtype.type(math.exp(-loss * dt))
        if not self.diffuses:
            return
        # the loss factor rides on the lateral symbol (it commutes with diffusion)
        lateral = np.exp(-diffusivity * dt * g.kxy2 - loss * dt)
        # each factor twice, for the real and imaginary parts of the interleaved spectrum
        self.lateral = g.device(np.repeat(lateral, 2, axis=1))              # (ny, 2 nxh)
        if g.dense_z:
            self.z = g.device(g.z_operator(diffusivity, dt))               # (nz, nz)
        else:
            self.z = g.device(np.exp(-diffusivity * dt * g.kz2))[:, None, None]
        self.buffer: Any = None

    def __call__(self, a: Any, pool: ThreadPoolExecutor | None = None) -> Any:
        g, xp = self.g, self.g.xp
        if not self.diffuses:
            if self.decay != 1:
                decay = self.decay
                _chunked(pool, g, lambda c, s: xp.multiply(c, decay, out=c), a)
            return a
        if g.dense_z:
            spec = rfft2(a)                                  # (nz, ny, nxh) complex
            flat = spec.view(g.dtype).reshape(g.nz, -1)      # real and imaginary parts alike
            if self.buffer is None:
                self.buffer = xp.empty_like(flat)
            _matmul_by_columns(pool, self.z, flat, self.buffer)  # z: exact no-flux propagator
            del spec, flat
            _by_slab(pool, self.buffer.reshape(g.nz, g.ny, -1), self.lateral)
            spec = self.buffer.view(_complex(g.dtype)).reshape(g.nz, g.ny, -1)
            return irfft2(spec, (g.ny, g.nx), overwrite_x=True)
        spec = rfft2(_dct(a))
        view = spec.view(g.dtype).reshape(g.nz, g.ny, -1)
        _by_slab(pool, view, self.lateral)
        view *= self.z
        return _dct(irfft2(spec, (g.ny, g.nx), overwrite_x=True), inverse=True)


def _by_slab(pool: ThreadPoolExecutor | None, a: Any, factor: Any) -> None:
    """``a *= factor`` (broadcast over the first axis of ``a``), split between threads by slabs."""
    workers = 1 if pool is None else pool._max_workers  # noqa: SLF001
    n = a.shape[0]
    if workers == 1 or n < 2:
        a *= factor
        return
    per = -(-n // workers)

    def run(lo: int) -> None:
        a[lo:lo + per] *= factor

    for future in [pool.submit(run, lo) for lo in range(0, n, per)]:
        future.result()


def _matmul_by_columns(pool: ThreadPoolExecutor | None, z: Any, a: Any, out: Any) -> None:
    """``out = z @ a``, the columns of ``a`` split between the threads of ``pool``.

    The bake runs with BLAS limited to one thread (see :func:`_bake_split`): BLAS's own
    threads keep spinning after a call and would take the cores from the bake's threads.
    """
    workers = 1 if pool is None else pool._max_workers  # noqa: SLF001
    n = a.shape[1]
    if workers == 1 or n < 2 * workers:
        array_module(a).matmul(z, a, out=out)
        return
    per = -(-n // workers)

    def run(lo: int) -> None:
        np.matmul(z, a[:, lo:lo + per], out=out[:, lo:lo + per])

    for future in [pool.submit(run, lo) for lo in range(0, n, per)]:
        future.result()


def _complex(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.complex64) if dtype == np.float32 else np.dtype(np.complex128)


def _neutralise(h: Any, q: Any, acc: Any, tau: float, k: float, guard: bool, xp: Any, s: list[Any],
                q_in: Any = None, first: bool = False, finish: Any = None) -> None:
    """Exact neutralisation ``h' = q' = -k h q`` over ``tau``, in place on one chunk.

    ``acc`` accumulates ``k`` times the exact time integral of ``h`` (the deprotection
    belongs to this sub-flow; the factor ``k`` saves a pass). ``s`` holds five scratch
    arrays of the chunk's size. Fused passes: ``q_in`` (a scalar) replaces the input
    quencher (``q`` is then only written), ``first`` writes ``acc`` instead of adding to
    it, and ``finish`` (the factor ``-k_amp / k``) turns ``acc`` into the inhibitor
    ``exp(min(finish acc, 0))`` at the end.

    Negative concentrations: the spectral Laplacian can ring slightly below 0 at the kinks
    a fast neutralisation leaves (per-step diffusion length below ~1.5 voxels). A negative
    minority with a positive majority follows the ODE exactly (it relaxes towards 0). With
    a majority of 0 the closed form is 0/0 once ``e^y`` underflows, and two negative
    species blow up in finite time; so with ``guard`` (the spectral Laplacian) the
    minority is bounded below by ``-|h - q| / 2``, which keeps ``1 + a0 k tau phi >= 1/2``.
    The bound acts only where a negative minority outweighs the majority, i.e. only on
    ringing; the discrete Laplacian never produces negative values and needs no guard.
    ``h - q`` is conserved exactly in every case.

    The CPU float32 bake runs the same expressions, fused, in ``kernels/peb.pyx``: change
    both together.
    """
    f = h.dtype.type
    kt = f(k * tau)
    d, a0, y, t, e = s
    q0 = q if q_in is None else q_in
    xp.subtract(h, q0, out=d)                # d = h - q, constant during neutralisation
    xp.minimum(h, q0, out=a0)                # a0: the minority species
    xp.abs(d, out=y)
    if guard:
        xp.multiply(y, f(-0.5), out=e)
        xp.maximum(a0, e, out=a0)
    xp.multiply(y, -kt, out=y)               # y = -k |d| tau <= 0
    xp.minimum(y, f(-_TINY), out=y)
    xp.expm1(y, out=t)
    xp.multiply(t, a0, out=t)                # a0 (e^y - 1)
    xp.add(a0, t, out=e)                     # a0 e^y
    xp.divide(t, y, out=t)
    xp.multiply(t, kt, out=t)                # sigma = a0 k tau phi(y), phi = expm1(y)/y in (0, 1]
    xp.log1p(t, out=y)                       # k int_0^tau a dt
    if first:
        acc[...] = y
    else:
        acc += y
    xp.add(t, f(1.0), out=t)
    xp.divide(e, t, out=e)                   # a(tau) = a0 e^y / (1 + sigma)
    xp.maximum(d, f(0.0), out=a0)            # excess of acid over quencher (>= 0)
    xp.add(e, a0, out=h)                     # h = a + max(d, 0)
    xp.subtract(h, d, out=q)                 # q = h - d = a + max(-d, 0)
    xp.multiply(a0, kt, out=a0)
    acc += a0                                # k int h dt = k int a dt + max(d, 0) k tau
    if finish is not None:                   # m = exp(-k_amp int h dt), int h dt >= 0
        xp.multiply(acc, finish, out=acc)
        xp.minimum(acc, f(0.0), out=acc)
        xp.exp(acc, out=acc)


def _chunked(pool: ThreadPoolExecutor | None, g: _Grid, kernel: Any, *arrays: Any, scratch: int = 0) -> None:
    """Run ``kernel(*chunks, scratch_list)`` over contiguous chunks of flat ``arrays``.

    On the CPU the chunks are split between the threads of ``pool`` (numpy releases the
    GIL in its loops) and are small enough for their temporaries to stay in cache; each
    thread owns ``scratch`` scratch arrays of one chunk.
    """
    xp = g.xp
    flats = [a.reshape(-1) for a in arrays]
    n = flats[0].size
    chunk = GPU_CHUNK if g.gpu else CPU_CHUNK

    def run(lo: int, hi: int) -> None:
        buffers = [xp.empty(min(chunk, hi - lo), dtype=g.dtype) for _ in range(scratch)]
        for start in range(lo, hi, chunk):
            stop = min(start + chunk, hi)
            size = stop - start
            s = buffers if size == chunk else [b[:size] for b in buffers]
            kernel(*(f[start:stop] for f in flats), s)

    workers = 1 if pool is None else pool._max_workers  # noqa: SLF001
    if workers == 1 or n < 4 * chunk:
        run(0, n)
        return
    per = -(-n // workers)
    per = -(-per // chunk) * chunk
    for future in [pool.submit(run, lo, min(lo + per, n)) for lo in range(0, n, per)]:
        future.result()


def _bake_split(peb: PEB, h: Any, g: _Grid) -> BakeResult:
    """Strang-split bake with neutralisation (``h`` is a private copy, changed in place).

    ``N(dt/2) E(dt) N(dt/2)`` per step, adjacent half neutralisations merged; ``E`` is the
    exact linear step (diffusion of each species, acid loss), ``N`` the exact
    neutralisation carrying the deprotection.
    """
    xp, dtype = g.xp, g.dtype
    steps = peb.steps
    dt = peb.time / steps
    q = xp.empty(g.shape, dtype=dtype)      # written by the first neutralisation
    acc = xp.empty(g.shape, dtype=dtype)    # likewise
    linear_h = _Linear(g, peb.acid_diffusivity, peb.k_loss, dt)
    linear_q = _Linear(g, peb.quencher_diffusivity, 0.0, dt)
    threads = cpu_threads()
    pool = ThreadPoolExecutor(max_workers=threads) if (not g.gpu and threads > 1) else None
    guard = g.laplacian == "spectral"
    # acc holds k_quench * int h dt until the last step turns it into the inhibitor
    finish = dtype.type(-peb.k_amp / peb.k_quench)

    fused_kernel = not g.gpu and dtype == np.float32

    def neutralise(tau: float, q_in: Any = None, first: bool = False, finish: Any = None) -> None:
        """One neutralisation pass over the whole volume: the Cython kernel on the CPU in
        float32, else whole-array operations by chunks (numpy in float64, CuPy)."""
        nonlocal h, q
        if fused_kernel:
            from .._kernels.peb import neutralise as kernel

            h, q = np.ascontiguousarray(h), np.ascontiguousarray(q)  # (views, as the FFTs return them)
            kernel(h.reshape(-1), q.reshape(-1), acc.reshape(-1), peb.k_quench * tau, guard,
                   -1.0 if q_in is None else float(q_in), first, 1.0 if finish is None else float(finish), threads)
            return
        _chunked(pool, g, lambda hc, qc, ac, s: _neutralise(hc, qc, ac, tau, peb.k_quench, guard, xp, s, q_in=q_in,
                                                            first=first, finish=finish), h, q, acc, scratch=5)

    # BLAS (the dense z propagator) runs in this pool's threads, one BLAS thread each
    single_blas = threadpool_limits(limits=1, user_api="blas") if pool is not None else contextlib.nullcontext()
    try:
        with single_blas:
            neutralise(0.5 * dt, q_in=dtype.type(peb.quencher), first=True)
            for i in range(steps):
                h = linear_h(h, pool)
                if linear_q.diffuses:
                    q = linear_q(q, pool)
                last = i == steps - 1
                neutralise(0.5 * dt if last else dt, finish=finish if last else None)
    finally:
        if pool is not None:
            pool.shutdown()
    return BakeResult(acc, h, q)
