"""Hopkins imaging by a sum of coherent systems (SOCS).

The transmission cross-coefficient TCC(f1, f2) = sum_s J_s P(f1+f_s) P*(f2+f_s) = A A^H with
A[f, s] = sqrt(J_s) P(f + f_s). Its kernels are the left singular vectors of A and its
weights the squared singular values; the TCC itself is never formed. The image of a mask
with coefficients c is ``I = sum_k w_k |F^-1{phi_k c}|^2``, evaluated band-limited
(:mod:`litho.imaging.band`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend, config
from .._atomic import atomic_path
from .._cache import user_cache_dir
from .._validate import finite_number, grid_shape, positive_number
from ..errors import InvalidParameterError
from .band import Band, crop_spectrum, fields_on_band_grid, interpolate

__all__ = ["SOCS", "check_mask", "check_dose"]

_CACHE_VERSION = 2  # 2: compact storage (values on the reached band points)
#: Masks per batch of kernel fields (bounds the (batch, kernels, My, Mx) working array).
_WORK_BYTES = 256 * 2**20


class SOCS:
    """A SOCS (Hopkins) imaging model on a fixed grid.

    Parameters
    ----------
    kernels : array (K, 2Ky+1, 2Kx+1), complex
        Kernel spectra on the band layout (element [i, j] is frequency (i - Ky, j - Kx) in
        units of 1/(grid period)).
    weights : array (K,), real, >= 0
        Kernel weights.
    pixel : float
        Pixel of the image grid, nm.
    shape : (int, int)
        Image grid (ny, nx).
    energy_captured : float, optional
        Fraction of the TCC's trace the kernels hold (1.0 when all kernels are kept).

    Notes
    -----
    Intensity follows the exposure (linear) dose convention: ``image(mask, dose)`` is
    ``dose`` times the image at dose 1. Amplitude-dose conventions (ICCAD-2013) pass the
    squared dose. The model is immutable; its kernels are copied to a GPU lazily, once per
    device, the first time a CuPy mask is imaged.
    """

    def __init__(self, kernels: Any, weights: Any, pixel: float, shape: Any,
                 *, energy_captured: float = 1.0) -> None:
        kernels = np.array(backend.to_numpy(kernels), dtype=np.complex128)
        weights = np.array(backend.to_numpy(weights), dtype=np.float64).reshape(-1)
        if kernels.ndim != 3 or kernels.shape[1] % 2 == 0 or kernels.shape[2] % 2 == 0:
            raise InvalidParameterError("kernels", f"array of shape {kernels.shape}",
                                        "an array (K, 2Ky+1, 2Kx+1) with odd band sizes")
        if len(weights) != len(kernels):
            raise InvalidParameterError("weights", f"{len(weights)} weights",
                                        f"one weight per kernel ({len(kernels)})")
        if not (np.isfinite(kernels).all() and np.isfinite(weights).all()) or (weights < 0).any():
            raise InvalidParameterError("kernels/weights", "non-finite or negative values",
                                        "finite kernels and finite weights >= 0")
        self._pixel = positive_number("pixel", pixel, "nm")
        self._shape = grid_shape("shape", shape)
        self._band = Band.from_half_band(self._shape, self._pixel,
                                         (kernels.shape[1] - 1) // 2, (kernels.shape[2] - 1) // 2)
        # compact storage: only band points some kernel uses; real when no kernel has phase
        reach = np.any(kernels != 0, axis=0)
        values = kernels[:, reach]
        if not np.any(values.imag):
            values = values.real.copy()
        self._set(values, reach, weights, float(energy_captured))

    def _set(self, values: np.ndarray, reach: np.ndarray, weights: np.ndarray, energy: float) -> None:
        for array in (values, reach, weights):
            array.flags.writeable = False
        self._values = values
        self._reach = reach
        self._weights = weights
        self._energy = energy
        self._full: np.ndarray | None = None
        self._on_device: dict[tuple[str, int, str], tuple[Any, Any]] = {}

    @classmethod
    def _compact(cls, values: np.ndarray, reach: np.ndarray, weights: np.ndarray, pixel: float,
                 shape: tuple[int, int], energy: float) -> SOCS:
        """Build from compact storage (trusted input: the kernel cache and this class)."""
        model = cls.__new__(cls)
        model._pixel = float(pixel)
        model._shape = tuple(shape)
        model._band = Band.from_half_band(model._shape, model._pixel, (reach.shape[0] - 1) // 2,
                                          (reach.shape[1] - 1) // 2)
        model._set(values, reach, weights, energy)
        return model

    # ----------------------------------------------------------------- properties
    @property
    def kernels(self) -> np.ndarray:
        """Kernel spectra on the band layout, (K, 2Ky+1, 2Kx+1) complex128 (read-only)."""
        if self._full is None:
            full = self._expand(np, np.complex128)
            full.flags.writeable = False
            self._full = full
        return self._full

    def _expand(self, xp: Any, dtype: Any) -> Any:
        """Kernels on the band layout as an ``xp`` array of ``dtype``."""
        full = xp.zeros((len(self._weights),) + self._band.band_shape, dtype=dtype)
        full[:, xp.asarray(self._reach)] = xp.asarray(self._values.astype(dtype))
        return full

    @property
    def weights(self) -> np.ndarray:
        """Kernel weights (squared singular values), (K,) float64 (read-only)."""
        return self._weights

    @property
    def energy_captured(self) -> float:
        """Fraction of the TCC trace held by the kernels."""
        return self._energy

    @property
    def pixel(self) -> float:
        return self._pixel

    @property
    def shape(self) -> tuple[int, int]:
        return self._shape

    @property
    def band(self) -> Band:
        return self._band

    def __len__(self) -> int:
        return len(self._weights)

    def __repr__(self) -> str:
        return (f"SOCS({len(self)} kernels, band {self._band.band_shape}, grid {self._shape} "
                f"x {self._pixel:g} nm, energy {self._energy:.6f})")

    def truncate(self, n_kernels: int) -> SOCS:
        """The model with its ``n_kernels`` strongest kernels."""
        if isinstance(n_kernels, bool) or not isinstance(n_kernels, (int, np.integer)) or n_kernels < 1:
            raise InvalidParameterError("n_kernels", n_kernels, "a positive integer")
        order = np.argsort(-self._weights, kind="stable")[: int(n_kernels)]
        total = self._weights.sum() / self._energy if self._energy > 0 else 1.0
        kept = self._weights[order]
        return SOCS._compact(self._values[order], self._reach, kept, self._pixel, self._shape,
                             float(kept.sum() / total) if total > 0 else 1.0)

    # ----------------------------------------------------------------- imaging
    def _device_arrays(self, xp: Any, dtype: np.dtype) -> tuple[Any, Any]:
        device = 0 if xp is np else int(xp.cuda.Device().id)
        key = (xp.__name__, device, np.dtype(dtype).name)
        if key not in self._on_device:
            real = np.float32 if np.dtype(dtype) == np.complex64 else np.float64
            self._on_device[key] = (self._expand(xp, dtype), xp.asarray(self._weights.astype(real)))
        return self._on_device[key]

    def image(self, mask: Any, dose: float = 1.0) -> Any:
        """Aerial image of ``mask``.

        Parameters
        ----------
        mask : array (..., ny, nx), real or complex
            Mask transmission on the model's grid; leading axes are a batch. numpy or CuPy.
        dose : float
            Relative exposure dose (>= 0); the image scales linearly with it.

        Returns
        -------
        array (..., ny, nx), float32 (single precision) or float64
            Intensity, on the device of ``mask``; a clear mask gives ``sum_k w_k |phi_k(0)|^2``
            (1.0 for models built from optics).
        """
        return self.image_from_spectrum(self.spectrum(mask), dose)

    def spectrum(self, mask: Any) -> Any:
        """Mask coefficients on this model's band layout, (..., 2Ky+1, 2Kx+1) complex.

        Models with the same grid and band share it: compute it once, then call
        :meth:`image_from_spectrum` of each (e.g. nominal and defocus kernel sets).
        """
        mask = check_mask(mask, self._shape)
        return crop_spectrum(mask, self._band, config.complex_dtype())

    def image_from_spectrum(self, spectra: Any, dose: float = 1.0) -> Any:
        """Aerial image from mask coefficients given by :meth:`spectrum` (same band)."""
        dose = check_dose(dose)
        xp = backend.array_module(spectra)
        if tuple(spectra.shape[-2:]) != self._band.band_shape:
            raise InvalidParameterError("spectra", f"array of shape {tuple(spectra.shape)}",
                                        f"an array (..., {self._band.band_shape[0]}, {self._band.band_shape[1]})")
        kernels, weights = self._device_arrays(xp, spectra.dtype)
        batch_shape = spectra.shape[:-2]
        flat = spectra.reshape((-1,) + spectra.shape[-2:])
        per_mask = len(self) * self._band.my * self._band.mx * np.dtype(spectra.dtype).itemsize
        step = max(1, _WORK_BYTES // max(per_mask, 1))
        small = []
        for start in range(0, flat.shape[0], step):
            fields = fields_on_band_grid(flat[start:start + step, None] * kernels, self._band)
            power = fields.real**2 + fields.imag**2
            small.append(xp.tensordot(power, weights, axes=([1], [0])))  # sum_k w_k |E_k|^2
        intensity_small = xp.concatenate(small, axis=0).reshape(batch_shape + small[0].shape[-2:])
        image = interpolate(intensity_small, self._band)
        return image * dose if dose != 1.0 else image

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_optics(cls, optics: Any, pixel: float, shape: Any, n_kernels: int | None = None,
                    energy: float = 0.999, source_step: float | None = None,
                    *, cache: bool = True) -> SOCS:
        """Kernels of ``optics`` for a grid, from the SVD of A[f, s] = sqrt(J_s) P(f + f_s).

        Parameters
        ----------
        optics : litho.Optics
            Wavelength, NA, source, aberrations, defocus.
        pixel : float
            Image pixel, nm.
        shape : int or (ny, nx)
            Image grid.
        n_kernels : int, optional
            Keep this many kernels (more than available means all); default: the fewest
            that capture ``energy``.
        energy : float
            Fraction of the TCC trace to capture when ``n_kernels`` is None, in (0, 1].
        source_step : float, optional
            Source sampling step in sigma units (default ``litho.optics`` DEFAULT_SOURCE_STEP).
        cache : bool
            Reuse kernels from memory and from the user cache directory (keyed by a hash of
            everything the kernels depend on); store new ones there.
        """
        pixel = positive_number("pixel", pixel, "nm")
        shape = grid_shape("shape", shape)
        if n_kernels is not None and (isinstance(n_kernels, bool) or not isinstance(n_kernels, (int, np.integer)) or n_kernels < 1):
            raise InvalidParameterError("n_kernels", n_kernels, "a positive integer or None")
        energy = finite_number("energy", energy)
        if not 0 < energy <= 1:
            raise InvalidParameterError("energy", energy, "a fraction in (0, 1]")
        if source_step is not None:
            source_step = positive_number("source_step", source_step)
        args = (optics, pixel, shape, None if n_kernels is None else int(n_kernels), energy, source_step)
        if cache:
            return _cached_from_optics(*args)
        return _compute_from_optics(*args)


def check_dose(dose: Any) -> float:
    """``dose`` as a finite float >= 0 (relative dose)."""
    value = finite_number("dose", dose)
    if value < 0:
        raise InvalidParameterError("dose", dose, "a finite relative dose >= 0")
    return value


def check_mask(mask: Any, shape: tuple[int, int]) -> Any:
    """Validate a mask array: at least 2-D, last two axes ``shape``, all finite."""
    xp = backend.array_module(mask)
    if not hasattr(mask, "shape"):
        mask = xp.asarray(mask)
    if mask.ndim < 2 or tuple(mask.shape[-2:]) != tuple(shape):
        raise InvalidParameterError("mask", f"array of shape {tuple(mask.shape)}",
                                    f"an array (..., {shape[0]}, {shape[1]}) matching the model's grid")
    if mask.dtype.kind not in "biufc":
        raise InvalidParameterError("mask", f"array of dtype {mask.dtype}", "a numeric array")
    if mask.dtype.kind in "fc" and not bool(xp.isfinite(mask).all()):
        raise InvalidParameterError("mask", "an array containing NaN or inf", "finite transmission values")
    return mask


# ---------------------------------------------------------------------- kernel computation
def _cache_key(optics: Any, pixel: float, shape: tuple[int, int], n_kernels: int | None,
               energy: float, source_step: float | None) -> str:
    payload = json.dumps({"v": _CACHE_VERSION, "optics": optics.key(), "pixel": repr(pixel),
                          "shape": list(shape), "n": n_kernels, "energy": repr(energy),
                          "step": repr(source_step)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _cache_file(key: str) -> Path:
    return user_cache_dir() / "socs" / f"{key}.npz"


@functools.lru_cache(maxsize=16)
def _cached_from_optics(optics, pixel, shape, n_kernels, energy, source_step) -> SOCS:
    """In-memory cache in front of the on-disk cache in front of the computation."""
    key = _cache_key(optics, pixel, shape, n_kernels, energy, source_step)
    path = _cache_file(key)
    try:
        with np.load(path) as data:
            return SOCS._compact(data["values"], data["reach"], data["weights"], pixel, shape,
                                 float(data["energy"]))
    except (OSError, KeyError, ValueError):
        pass  # missing or unreadable cache entry: compute
    model = _compute_from_optics(optics, pixel, shape, n_kernels, energy, source_step)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, values=model._values, reach=model._reach, weights=model.weights,
                         energy=np.float64(model.energy_captured))
    except OSError:
        pass  # read-only cache directory: the kernels are still returned
    return model


def _compute_from_optics(optics, pixel, shape, n_kernels, energy, source_step) -> SOCS:
    from ..optics.source import DEFAULT_SOURCE_STEP

    band = Band.from_cutoff(shape, pixel, optics.frequency_band)
    points, weights = optics.source.sample(source_step or DEFAULT_SOURCE_STEP)
    fy, fx = band.frequencies()
    cutoff = optics.na / optics.wavelength
    # band points any source point can pass (the rest of A is zero)
    fyy, fxx = np.meshgrid(fy, fx, indexing="ij")
    reach = np.hypot(fyy, fxx) <= optics.frequency_band * (1 + 1e-12)
    f_y, f_x = fyy[reach], fxx[reach]
    a = optics.pupil(f_x[:, None] + points[None, :, 0] * cutoff, f_y[:, None] + points[None, :, 1] * cutoff)
    if optics.pupil.is_real:
        a = np.ascontiguousarray(a.real)  # no phase: real arithmetic, ~4x fewer flops
    a *= np.sqrt(weights)[None, :]
    total = float(np.vdot(a, a).real)  # trace of the TCC = ||A||_F^2
    sigma2, left = _left_singular(a)
    keep = sigma2 > 0
    sigma2, left = sigma2[keep], left[:, keep]
    cumulative = np.cumsum(sigma2) / total if total > 0 else np.ones_like(sigma2)
    if n_kernels is None:
        count = int(np.searchsorted(cumulative, energy * (1 - 1e-12)) + 1)
    else:
        count = int(n_kernels)
    count = min(count, len(sigma2))
    captured = float(cumulative[count - 1]) if count else 0.0
    return SOCS._compact(np.ascontiguousarray(left[:, :count].T), reach, sigma2[:count].copy(), pixel, shape,
                         min(captured, 1.0))


def _left_singular(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared singular values (descending) and left singular vectors of ``a`` (F x S).

    Uses the Hermitian eigenproblem of the smaller Gram matrix: A^H A (S x S) when there
    are fewer source points than band points, then U = A V / sigma; otherwise A A^H.
    """
    import scipy.linalg

    if a.shape[1] <= a.shape[0]:
        gram = a.conj().T @ a
        values, vectors = scipy.linalg.eigh(gram, overwrite_a=True, check_finite=False, driver="evd")
        order = np.argsort(values)[::-1]
        values = np.clip(values[order], 0.0, None)
        vectors = vectors[:, order]
        positive = values > values[0] * 1e-30 if len(values) else values > 0
        values = np.where(positive, values, 0.0)
        left = a @ vectors[:, positive]
        left /= np.sqrt(values[positive])[None, :]
        out = np.zeros((a.shape[0], len(values)), dtype=a.dtype)
        out[:, positive] = left
        return values, out
    values, vectors = scipy.linalg.eigh(a @ a.conj().T, overwrite_a=True, check_finite=False, driver="evd")
    order = np.argsort(values)[::-1]
    return np.clip(values[order], 0.0, None), vectors[:, order]
