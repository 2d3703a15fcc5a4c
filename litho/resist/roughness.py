"""Line-edge and line-width roughness (LER / LWR) from developed edges.

Edges come from an image of one line (or space), cut row by row across the line
(:func:`edges_from_image`), or from anywhere else as two arrays of edge positions sampled
at a constant ``spacing`` along the line. :func:`roughness` reduces them to the usual
metrics, :func:`power_spectrum` and :func:`correlation_length` describe one edge.

Conventions
-----------
- Residuals: an edge's residual is its position minus its mean (``detrend="mean"``) or
  minus its least-squares straight line (``detrend="linear"``, which also removes a tilt
  of the line in the image). The width residual is ``residual(right) - residual(left)``
  (detrending is linear, so this is the detrended width).
- σ is the root mean square of the residuals (``ddof = 0``): exactly what the PSD
  integrates to. For ``n`` samples of white noise of variance s² its expectation is
  ``s² (n - k) / n`` with ``k = 1`` (mean) or ``2`` (linear): a 0.1 % bias at n = 1000.
  LER and LWR are reported as 3σ, nm. A finite line also misses the roughness at
  wavelengths longer than the line (the usual "finite length" underestimate).
- PSD: the **two-sided** power spectral density, reported at the non-negative
  frequencies ``f_k = k / (n · spacing)``, ``k = 0 .. n // 2`` (1/nm), in nm³::

      PSD(f_k) = spacing / n · |Σ_j r_j exp(-2πi j k / n)|²

  (no window; the record is treated as periodic). It is even in ``f``, and its integral
  over all frequencies, ``(-f_Nyquist, f_Nyquist]``, equals σ² (Parseval)::

      σ² = Δf · (PSD_0 + 2 Σ_{0 < k < n/2} PSD_k + [PSD_{n/2} if n is even]),  Δf = 1/(n·spacing)

  This is Mack's normalisation (white noise: ``PSD = σ² · spacing``; an exponential
  autocorrelation ``σ² exp(-|τ|/ξ)`` has ``PSD(0) = 2 σ² ξ``). A one-sided PSD is twice
  these values for ``0 < f < f_Nyquist``.

Arrays stay on their device (numpy or CuPy); scalars are returned as Python floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._validate import choice, finite_number, positive_number, real_array
from ..backend import array_module
from ..errors import InvalidParameterError

__all__ = ["Roughness", "edges_from_image", "roughness", "power_spectrum", "correlation_length"]

Detrend = Literal["mean", "linear"]
_DETRENDS = ("mean", "linear")


def edges_from_image(image: Any, pixel: float, level: float, *, axis: int = -1,
                     inside: Literal["above", "below"] = "above",
                     center: float | None = None, origin: float = 0.0) -> tuple[Any, Any]:
    """Left and right edges of the feature at the centre of each cut through a line image.

    Parameters
    ----------
    image : array (ny, nx)
        A 2-D image of one line or space (e.g. a developed resist height map, an acid or
        inhibitor slice, an aerial image), numpy or CuPy; finite values.
    pixel : float
        Pixel size along the cuts, nm. Pixel ``i`` stands for the point
        ``origin + (i + 1/2) · pixel`` nm (litho's pixel-centre convention, as in
        ``litho.rasterize`` and the imaging code).
    level : float
        The threshold defining the edge; it must lie strictly between the image minimum
        and maximum (otherwise there is no edge and this raises rather than return NaN).
    axis : {-1, 1, -2, 0}
        The axis the cuts run along (across the line). ``-1`` (default): one cut per row
        ``image[k, :]``, for a line running along y; ``-2``: one cut per column
        ``image[:, k]``, for a line running along x.
    inside : {"above", "below"}
        Whether the feature is where the image is above the level (a resist line in a
        height map, a bright space in an aerial image) or below it.
    center : float, optional
        Position along the cuts, nm, of a point inside the feature in every cut; default
        the middle of the cut, ``origin + n · pixel / 2``. The feature is the run of
        pixels that are inside and contain the pixel covering ``center``.
    origin : float
        Position of the start of pixel 0 along the cuts, nm.

    Returns
    -------
    left, right : array (n_cuts,)
        Edge positions, nm (float64, same device as ``image``): where the linear
        interpolation between the last outside pixel and the first inside pixel (and the
        reverse on the right) crosses ``level``. A pixel exactly at the level counts as
        outside, so the crossing is then exactly at its centre.

    Raises
    ------
    InvalidParameterError
        ``image`` not a finite 2-D array; ``level`` outside the image range (named
        ``level``); ``center`` outside the image; a cut (named ``image[k]`` or
        ``image[:, k]``) whose centre pixel is not inside the feature or whose feature
        reaches the image border (no left or right edge).
    """
    img = real_array("image", image, ndim=2, what="a 2-D image (ny, nx)")
    xp = array_module(img)
    pixel = positive_number("pixel", pixel, "nm")
    level = finite_number("level", level)
    axis = choice("axis", axis, (-1, 1, -2, 0))
    inside = choice("inside", inside, ("above", "below"))
    along_x = axis in (-1, 1)
    cuts = img if along_x else img.T
    n = int(cuts.shape[1])
    lo, hi = float(img.min()), float(img.max())
    if not lo < level < hi:
        raise InvalidParameterError("level", level,
                                    f"a level strictly between the image minimum {lo:g} and "
                                    f"maximum {hi:g} (there is no edge otherwise)")
    origin = finite_number("origin", origin, "nm")
    extent = n * pixel
    if center is None:
        center = origin + extent / 2.0
    center = finite_number("center", center, "nm")
    if not origin <= center <= origin + extent:
        raise InvalidParameterError("center", center, f"a position in [{origin:g}, {origin + extent:g}] nm")
    c = min(int(math.floor((center - origin) / pixel)), n - 1)
    feature = cuts > level if inside == "above" else cuts < level

    def cut_name(k: int) -> str:
        return f"image[{k}]" if along_x else f"image[:, {k}]"

    def fail(bad: Any, why: str) -> None:
        if bool(bad.any()):
            k = int(xp.argmax(bad.astype(xp.int8)))  # int8: argmax of bool on every backend
            raise InvalidParameterError(cut_name(k), f"cut {k}", why)

    word = "above" if inside == "above" else "below"
    fail(~feature[:, c], f"a cut whose pixel at center={center:g} nm is {word} level={level:g}")
    outside = ~feature
    left_out = outside[:, c::-1]     # from the centre towards pixel 0
    right_out = outside[:, c:]       # from the centre towards pixel n - 1
    fail(~left_out.any(axis=1), f"a cut with a left edge (the feature {word} level={level:g} "
         "reaches the first pixel)")
    fail(~right_out.any(axis=1), f"a cut with a right edge (the feature {word} level={level:g} "
         "reaches the last pixel)")
    rows = xp.arange(cuts.shape[0])
    values = cuts.astype(xp.float64)
    i_left = c - xp.argmax(left_out.astype(xp.int8), axis=1)       # last outside pixel left of the feature
    i_right = c + xp.argmax(right_out.astype(xp.int8), axis=1)     # first outside pixel right of it
    a, b = values[rows, i_left], values[rows, i_left + 1]
    left = origin + (i_left + 0.5 + (level - a) / (b - a)) * pixel
    a, b = values[rows, i_right - 1], values[rows, i_right]
    right = origin + (i_right - 0.5 + (level - a) / (b - a)) * pixel
    return left, right


def _edge(name: str, x: Any) -> Any:
    arr = real_array(name, x, ndim=1, what="edge positions in nm (1-D)")
    return arr.astype(array_module(arr).float64)


def _residual(x: Any, detrend: str) -> Any:
    xp = array_module(x)
    r = x - x.mean()
    if detrend == "linear":
        t = xp.arange(x.shape[0], dtype=xp.float64)
        t -= t.mean()
        r = r - t * (float((t * r).sum()) / float((t * t).sum()))
    return r


def _checked(n: int, detrend: Any, name: str) -> str:
    detrend = choice("detrend", detrend, _DETRENDS)
    need = 2 if detrend == "mean" else 3
    if n < need:
        raise InvalidParameterError(name, f"{n} samples", f"at least {need} samples for detrend={detrend!r}")
    return detrend


def _psd(r: Any, spacing: float) -> Any:
    xp = array_module(r)
    n = r.shape[0]
    spectrum = xp.fft.rfft(r)
    return (spectrum.real ** 2 + spectrum.imag ** 2) * (spacing / n)


def _frequency(xp: Any, n: int, spacing: float) -> Any:
    return xp.fft.rfftfreq(n, d=spacing)


def _frozen(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        x.flags.writeable = False
    return x


@dataclass(frozen=True, eq=False)
class Roughness:
    """Roughness of one line: LER of both edges, LWR, CD and the power spectra.

    Produced by :func:`roughness`; see :mod:`litho.resist.roughness` for the conventions
    (residuals, σ with ``ddof = 0``, the two-sided PSD normalisation). numpy arrays are
    read-only.

    Attributes
    ----------
    ler_left, ler_right : float
        3σ of the left / right edge residuals, nm.
    lwr : float
        3σ of the width residuals, nm. ``lwr² = ler_left² + ler_right² - 18 edge_covariance``.
    cd : float
        Mean width ``mean(right - left)``, nm.
    edge_covariance : float
        ``mean(r_left · r_right)``, nm² (0 for uncorrelated edges on average; > 0 when the
        edges move together, which lowers LWR).
    spacing : float
        Sample spacing along the line, nm.
    n_samples : int
        Number of edge samples.
    detrend : {"mean", "linear"}
        What was removed from each edge before the statistics.
    frequency : array (n_samples // 2 + 1,)
        Spatial frequencies ``k / (n · spacing)``, 1/nm.
    psd_left, psd_right, psd_width : array (n_samples // 2 + 1,)
        Two-sided PSDs of the left edge, right edge and width residuals at ``frequency``,
        nm³.
    """

    ler_left: float
    ler_right: float
    lwr: float
    cd: float
    edge_covariance: float
    spacing: float
    n_samples: int
    detrend: str
    frequency: Any
    psd_left: Any
    psd_right: Any
    psd_width: Any

    def __repr__(self) -> str:
        return (f"Roughness(ler_left={self.ler_left:.4g} nm, ler_right={self.ler_right:.4g} nm, "
                f"lwr={self.lwr:.4g} nm, cd={self.cd:.6g} nm, n_samples={self.n_samples}, "
                f"spacing={self.spacing:g} nm, detrend={self.detrend!r})")


def roughness(left: Any, right: Any, spacing: float, *, detrend: Detrend = "mean") -> Roughness:
    """LER, LWR, CD and PSDs of a line from its two edges.

    Parameters
    ----------
    left, right : array (n,)
        Left and right edge positions, nm, sampled every ``spacing`` along the line
        (e.g. from :func:`edges_from_image`); numpy or CuPy; ``right > left`` everywhere.
    spacing : float
        Sample spacing along the line, nm (> 0).
    detrend : {"mean", "linear"}
        Remove each edge's mean (default) or its least-squares line before the statistics.

    Returns
    -------
    Roughness
        3σ LER of each edge and LWR (nm), mean CD (nm), the edge covariance (nm²) and the
        two-sided PSDs (nm³) at frequencies 1/nm; arrays on the device of the input.

    Raises
    ------
    InvalidParameterError
        Non-finite or non-1-D edges, different lengths, too few samples (2 for "mean",
        3 for "linear"), ``right <= left`` somewhere (named ``right[j]``), bad ``spacing``
        or ``detrend``.
    """
    left = _edge("left", left)
    right = _edge("right", right)
    spacing = positive_number("spacing", spacing, "nm")
    if right.shape != left.shape:
        raise InvalidParameterError("right", f"array of shape {tuple(right.shape)}",
                                    f"edge positions of the shape of left, {tuple(left.shape)}")
    n = int(left.shape[0])
    detrend = _checked(n, detrend, "left")
    xp = array_module(left)
    width = right - left
    bad = ~(width > 0)
    if bool(bad.any()):
        j = int(xp.argmax(bad.astype(xp.int8)))
        raise InvalidParameterError(f"right[{j}]", float(right[j]),
                                    f"an edge position greater than left[{j}] = {float(left[j]):g} nm")
    r_left, r_right = _residual(left, detrend), _residual(right, detrend)
    r_width = r_right - r_left
    var_left = float((r_left * r_left).mean())
    var_right = float((r_right * r_right).mean())
    var_width = float((r_width * r_width).mean())
    return Roughness(
        ler_left=3.0 * math.sqrt(var_left),
        ler_right=3.0 * math.sqrt(var_right),
        lwr=3.0 * math.sqrt(var_width),
        cd=float(width.mean()),
        edge_covariance=float((r_left * r_right).mean()),
        spacing=spacing,
        n_samples=n,
        detrend=detrend,
        frequency=_frozen(_frequency(xp, n, spacing)),
        psd_left=_frozen(_psd(r_left, spacing)),
        psd_right=_frozen(_psd(r_right, spacing)),
        psd_width=_frozen(_psd(r_width, spacing)),
    )


def power_spectrum(edge: Any, spacing: float, *, detrend: Detrend = "mean") -> tuple[Any, Any]:
    """Two-sided PSD of one edge (or width) record.

    Parameters
    ----------
    edge : array (n,)
        Edge positions (or widths), nm, every ``spacing`` nm; numpy or CuPy.
    spacing : float
        Sample spacing, nm (> 0).
    detrend : {"mean", "linear"}
        What is removed before the transform.

    Returns
    -------
    frequency : array (n // 2 + 1,)
        ``k / (n · spacing)``, 1/nm.
    psd : array (n // 2 + 1,)
        Two-sided PSD, nm³, normalised so that its integral over all frequencies equals
        the mean square residual (see the module docstring for the sum).
    """
    x = _edge("edge", edge)
    spacing = positive_number("spacing", spacing, "nm")
    detrend = _checked(int(x.shape[0]), detrend, "edge")
    xp = array_module(x)
    return _frequency(xp, int(x.shape[0]), spacing), _psd(_residual(x, detrend), spacing)


def correlation_length(edge: Any, spacing: float, *, detrend: Detrend = "mean") -> float:
    """Correlation length of an edge: where its autocorrelation first falls to 1/e.

    The autocorrelation is estimated without wrap-around (a zero-padded FFT),
    ``R(k) = Σ_{j < n-k} r_j r_{j+k} / (n - k)``, normalised by ``R(0)``; the 1/e crossing
    is linearly interpolated between lags. For an exponential autocorrelation
    ``exp(-|τ|/ξ)`` this estimates ``ξ``; white noise gives about 0.63 · spacing.

    Parameters
    ----------
    edge : array (n,)
        Edge positions, nm, every ``spacing`` nm; numpy or CuPy.
    spacing : float
        Sample spacing, nm (> 0).
    detrend : {"mean", "linear"}
        What is removed first.

    Returns
    -------
    float
        The correlation length, nm.

    Raises
    ------
    InvalidParameterError
        A straight edge (no roughness: the autocorrelation is undefined), or one whose
        autocorrelation stays above 1/e over the first quarter of the record (lags up to
        ``n // 4``: the line is too short for the estimate; any slow drift over the whole
        record gets here); both named ``edge``.
    """
    x = _edge("edge", edge)
    spacing = positive_number("spacing", spacing, "nm")
    n = int(x.shape[0])
    detrend = _checked(n, detrend, "edge")
    xp = array_module(x)
    r = _residual(x, detrend)
    rms = float((r * r).mean()) ** 0.5
    if not rms > 1e-12 * float(xp.abs(x).max()):  # rounding-level residuals: straight
        raise InvalidParameterError("edge", "a straight edge", "an edge with non-zero roughness")
    m = 1 << (2 * n - 1).bit_length()
    spectrum = xp.fft.rfft(r, n=m)
    acf = xp.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, n=m)[: n // 4 + 1]
    acf = acf / (n - xp.arange(acf.shape[0], dtype=xp.float64))
    acf = acf / acf[0]
    below = acf <= math.exp(-1.0)
    if not bool(below.any()):
        raise InvalidParameterError("edge", f"{n} samples",
                                    "an edge whose autocorrelation falls below 1/e within a "
                                    "quarter of its length (measure a longer line)")
    k = int(xp.argmax(below.astype(xp.int8)))
    a, b = float(acf[k - 1]), float(acf[k])
    return (k - 1 + (a - math.exp(-1.0)) / (a - b)) * spacing
