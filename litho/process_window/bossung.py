"""Bossung curves: least-squares polynomials CD(focus), one per dose, and their best focus.

The fit is in the scaled focus ``x = (2 f - lo - hi) / (hi - lo)`` over the matrix's focus
range (numpy's ``Polynomial`` convention), which keeps it well conditioned at any focus
offset. Best focus is the turning point dCD/df = 0 of the fitted curve (Mack,
*Fundamental Principles of Optical Lithography*, ch. 8).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import integer
from ..errors import InvalidParameterError
from .result import FEMResult, check_axis

__all__ = ["BossungFit", "bossung"]


def _polynomial(coef: np.ndarray, degree: int, domain: tuple[float, float]) -> np.polynomial.Polynomial:
    return np.polynomial.Polynomial(coef[:max(degree, 0) + 1], domain=list(domain), window=[-1.0, 1.0])


@dataclass(frozen=True, eq=False)
class BossungFit:
    """Least-squares polynomials CD(focus), one per dose, of one gauge of a FEM.

    Attributes
    ----------
    gauge : str
        The gauge.
    focus : ndarray (nf,)
        Measured focus, nm.
    dose : ndarray (nd,)
        Measured doses, mJ/cm² (or relative, as in the FEM).
    cd : ndarray (nf, nd)
        Measured CD, nm (NaN where not printed; such points were left out of the fit).
    coef : ndarray (nd, order + 1)
        Coefficients, in increasing powers of the scaled focus
        ``x = (2 f - lo - hi) / (hi - lo)`` with ``(lo, hi) = domain`` (numpy's
        ``Polynomial`` convention; :meth:`polynomial` builds one). Zero beyond each
        dose's degree; NaN for a dose without any printed point.
    degree : ndarray (nd,) of int
        Degree fitted per dose: ``min(order, points - 1)``; -1 where no point printed.
    order : int
        Requested degree.
    best_focus : ndarray (nd,)
        Per dose, the extremum of the fit (dCD/df = 0, the turning point of the Bossung
        curve) inside the focus span of that dose's printed points, nm; the one nearest
        the middle of that span when there are several, NaN when there is none (degree
        < 2, or a fit monotonic over the span).
    best_cd : ndarray (nd,)
        The fitted CD at ``best_focus``, nm.
    """

    gauge: str
    focus: np.ndarray
    dose: np.ndarray
    cd: np.ndarray
    coef: np.ndarray
    degree: np.ndarray
    order: int
    best_focus: np.ndarray = field(init=False, repr=False)
    best_cd: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        focus = check_axis("focus", self.focus, "nm")
        dose = check_axis("dose", self.dose, "dose", positive=True)
        order = integer("order", self.order, 1)
        cd = np.array(self.cd, dtype=np.float64)
        coef = np.array(self.coef, dtype=np.float64)
        degree = np.array(self.degree, dtype=np.int64).reshape(-1)
        if cd.shape != (focus.size, dose.size):
            raise InvalidParameterError("cd", f"array of shape {cd.shape}", f"shape {(focus.size, dose.size)}")
        if coef.shape != (dose.size, order + 1):
            raise InvalidParameterError("coef", f"array of shape {coef.shape}", f"shape {(dose.size, order + 1)}")
        if degree.shape != (dose.size,) or np.any(degree < -1) or np.any(degree > order):
            raise InvalidParameterError("degree", self.degree, f"{dose.size} integers in [-1, {order}]")
        best = np.full(dose.size, np.nan)
        domain = (float(focus[0]), float(focus[-1]))
        for j in range(dose.size):
            ok = np.isfinite(cd[:, j])
            if degree[j] < 2 or not ok.any():
                continue
            lo, hi = focus[ok][0], focus[ok][-1]
            roots = _polynomial(coef[j], int(degree[j]), domain).deriv().roots()
            span = hi - lo
            real = roots[np.abs(roots.imag) <= 1e-9 * max(span, 1.0)].real
            real = real[(real >= lo - 1e-9 * span) & (real <= hi + 1e-9 * span)]
            if real.size:
                best[j] = float(np.clip(real[np.argmin(np.abs(real - 0.5 * (lo + hi)))], lo, hi))
        best_cd = np.array([_polynomial(coef[j], int(degree[j]), domain)(b) if np.isfinite(b) else np.nan
                            for j, b in enumerate(best)], dtype=np.float64)
        for name, value in (("focus", focus), ("dose", dose), ("cd", cd), ("coef", coef), ("degree", degree),
                            ("best_focus", best), ("best_cd", best_cd)):
            if value.flags.writeable:
                value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "order", order)

    @property
    def domain(self) -> tuple[float, float]:
        """``(lo, hi)``, nm: the focus range that ``coef``'s scaled variable maps to [-1, 1]."""
        return float(self.focus[0]), float(self.focus[-1])

    def polynomial(self, index: int) -> np.polynomial.Polynomial:
        """The fit at dose ``index`` as a ``numpy.polynomial.Polynomial`` of focus in nm."""
        return _polynomial(self.coef[index], int(self.degree[index]), self.domain)

    def __call__(self, focus: Any) -> np.ndarray:
        """Fitted CD (..., nd), nm, at ``focus`` (any shape, nm); NaN for doses without a fit."""
        f = np.asarray(focus, dtype=np.float64)
        lo, hi = self.domain
        x = (2.0 * f - lo - hi) / (hi - lo)
        return np.stack([np.polynomial.polynomial.polyval(x, self.coef[j]) for j in range(self.dose.size)],
                        axis=-1)

    def curves(self, n: int = 201) -> tuple[np.ndarray, np.ndarray]:
        """``(focus (n,), cd (n, nd))``: the fits on ``n`` focus values over the measured range, nm."""
        n = integer("n", n, 2)
        f = np.linspace(self.focus[0], self.focus[-1], n)
        return f, self(f)

    @property
    def residuals(self) -> np.ndarray:
        """Measured minus fitted CD (nf, nd), nm; NaN where not printed."""
        return self.cd - self(self.focus)


def _fem(fem: Any) -> FEMResult:
    if not isinstance(fem, FEMResult):
        raise InvalidParameterError("fem", fem, "a litho.process_window.FEMResult")
    for name, axis in (("focus", fem.focus), ("dose", fem.dose)):
        if axis.size < 2:
            raise InvalidParameterError(f"fem.{name}", f"{axis.size} {name} value",
                                        f"a matrix of at least 2 {name} values")
    return fem


def bossung(fem: FEMResult, gauge: str | int, order: int = 4) -> BossungFit:
    """Bossung curves: a least-squares polynomial CD(focus) per dose.

    Parameters
    ----------
    fem : FEMResult
        The matrix (at least 2 focus and 2 dose values).
    gauge : str or int
        Gauge name or index.
    order : int
        Polynomial degree (>= 1). A dose with fewer than ``order + 1`` printed points is
        fitted to the degree they allow (points - 1); NaN points are skipped.

    Returns
    -------
    BossungFit
        Coefficients, degrees, and the best focus (turning point) per dose.

    Raises
    ------
    InvalidParameterError
        Not a FEMResult, fewer than 2 focus or dose values, an unknown gauge, ``order`` < 1.
    """
    fem = _fem(fem)
    order = integer("order", order, 1)
    cd = fem.cd_of(gauge)
    lo, hi = float(fem.focus[0]), float(fem.focus[-1])
    coef = np.zeros((fem.dose.size, order + 1))
    degree = np.full(fem.dose.size, -1, dtype=np.int64)
    for j in range(fem.dose.size):
        ok = np.isfinite(cd[:, j])
        if not ok.any():
            coef[j] = np.nan
            continue
        deg = min(order, int(ok.sum()) - 1)
        fit = np.polynomial.Polynomial.fit(fem.focus[ok], cd[ok, j], deg, domain=[lo, hi], window=[-1.0, 1.0])
        coef[j, :fit.coef.size] = fit.coef
        degree[j] = deg
    return BossungFit(fem.gauges[fem.gauge_index(gauge)], fem.focus, fem.dose, cd, coef, degree, order)
