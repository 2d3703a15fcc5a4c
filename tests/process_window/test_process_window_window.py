"""Bossung fits and ED windows against analytic CD(focus, dose) surfaces with hand-derived DOF and EL.

Surfaces are polynomials of degree <= 2 in focus f and in u = ln(E/E0). Not-a-knot cubic
splines reproduce such data exactly, so the fine-grid CDs are exact and the only error of
a rectangle or ellipse is the fine grid's quantisation: each edge of a rectangle lies on
an in-spec node, up to one step inside the true boundary, and the ellipse touches the
nearest out-of-spec node, up to about one step outside it. Bounds below are derived from
those step sizes (``df`` nm in focus, ``du`` in ln dose), not tuned.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.process_window import (BossungFit, EDWindow, Ellipse, FEMResult, Rectangle, bossung, ed_window,
                                  exposure_latitude)

# The parabolic band: CD = T + S u + C f^2, in spec where |S u + C f^2| <= TOL.
T, TOL, S, C, E0 = 50.0, 5.0, 50.0, 1e-3, 20.0
FOCUS = np.linspace(-150.0, 150.0, 13)
DOSE = np.linspace(17.0, 23.0, 7)          # u from -0.163 to +0.140: covers |u| <= TOL / S = 0.1
FF, DD = np.meshgrid(FOCUS, DOSE, indexing="ij")
UU = np.log(DD / E0)


def band(shift: float = 0.0, target: float = T, curvature: float = C) -> np.ndarray:
    return target + S * UU + curvature * (FF - shift) ** 2


def fem_of(*surfaces: np.ndarray, names: tuple[str, ...] | None = None, focus=FOCUS, dose=DOSE) -> FEMResult:
    names = names or tuple("abcdefgh"[: len(surfaces)])
    return FEMResult(focus, dose, names, np.stack(surfaces, axis=-1))


@functools.lru_cache(maxsize=None)
def band_window() -> EDWindow:
    return ed_window(fem_of(band()), T, TOL)


def steps(w: EDWindow) -> tuple[float, float]:
    return float(w.focus[1] - w.focus[0]), float(np.log(w.dose[1] / w.dose[0]))


def band_dof(u_hi: float) -> float:
    """DOF of a rectangle from u_lo = -TOL/S (the band's bottom at f = 0) up to u_hi.

    The top edge needs S u_hi + C F^2 <= TOL at the corners f = +-F, the bottom edge
    S u_lo >= -TOL at f = 0, so DOF = 2 F = 2 sqrt((TOL - S u_hi) / C).
    """
    return 2.0 * math.sqrt(max(TOL - S * u_hi, 0.0) / C)


def test_exposure_latitude_is_relative_to_the_mean_dose():
    assert exposure_latitude(18.0, 22.0) == pytest.approx(20.0)   # 4 / 20 * 100
    assert Rectangle.from_bounds(-10.0, 30.0, 18.0, 22.0) == Rectangle(-10, 30, 18, 22, 40, 20, 10, 20)


@pytest.mark.parametrize("el", [0.0, 2.0, 5.0, 10.0, 15.0])
def test_dof_at_el_matches_the_parabolic_band(el):
    """EL p is a ln-dose width w = 2 artanh(p / 200); the widest rectangle sits on the
    band's bottom, u_lo = -TOL/S, so DOF(p) = 2 sqrt((2 TOL - S w) / C).

    On the grid: the width is rounded up to whole steps (+du) and the bottom edge lies up
    to one step above -TOL/S (+du), so the top edge is at most 2 du higher; each focus
    edge loses up to one step (2 df).
    """
    w = band_window()
    df, du = steps(w)
    width = 2.0 * math.atanh(el / 200.0)
    exact = band_dof(-TOL / S + width)
    rect = w.max_rectangle(el=el)
    assert band_dof(-TOL / S + width + 2 * du) - 2 * df <= rect.dof <= exact + 1e-9
    assert rect.el == pytest.approx(el, abs=1e-9) and w.dof(el) == rect.dof
    assert rect.center_focus == pytest.approx(0.0, abs=df) and rect.dose_lo >= E0 * math.exp(-TOL / S)
    assert rect.center_dose == pytest.approx(0.5 * (rect.dose_lo + rect.dose_hi))


@pytest.mark.parametrize("dof", [0.0, 60.0, 150.0, 190.0])
def test_el_at_dof_matches_the_parabolic_band(dof):
    """Inverting DOF(w): w = (2 TOL - C DOF^2 / 4) / S and EL = 200 tanh(w / 2).

    On the grid the focus span needed is up to 2 df longer and the width loses up to
    2 du (rounding down to whole steps, the bottom edge up to a step high).
    """
    w = band_window()
    df, du = steps(w)
    exact = 200.0 * math.tanh((2 * TOL - C * dof ** 2 / 4) / S / 2)
    low = 200.0 * math.tanh(((2 * TOL - C * (dof + 2 * df) ** 2 / 4) / S - 2 * du) / 2)
    rect = w.max_rectangle(dof=dof)
    assert low <= rect.el <= exact + 1e-9
    assert rect.dof == pytest.approx(dof, abs=1e-9) and w.el(dof) == rect.el


def test_largest_area_rectangle_and_best_focus_dose_of_the_band():
    """Area(w) = DOF(w) * EL(w) = 2 sqrt((2 TOL - S w) / C) * 200 tanh(w / 2): for small w
    the optimum is w = 4 TOL / (3 S) (d/dw of w sqrt(2 TOL - S w) = 0); the exact optimum
    of the tanh form is found by a fine scan. The surface is symmetric in focus, so best
    focus is 0 (to one step); best dose is the rectangle's mean dose, from u_lo = -TOL/S."""
    w = band_window()
    df, du = steps(w)
    ws = np.linspace(1e-4, 2 * TOL / S, 200001)
    area = 2 * np.sqrt((2 * TOL - S * ws) / C) * 200 * np.tanh(ws / 2)
    best_w = ws[np.argmax(area)]
    assert best_w == pytest.approx(4 * TOL / (3 * S), rel=2e-3)
    rect = w.max_rectangle()
    # quantisation: up to 2 df in DOF and 2 du in the top edge (as above) at the optimum
    assert rect.dof * rect.el <= area.max() * (1 + 1e-9)
    assert rect.dof * rect.el >= (band_dof(-TOL / S + best_w + 2 * du) - 2 * df) * 200 * math.tanh(best_w / 2)
    assert w.best_focus == pytest.approx(0.0, abs=df)
    mean = 0.5 * E0 * (math.exp(-TOL / S) + math.exp(-TOL / S + best_w))
    assert w.best_dose == pytest.approx(mean, rel=0.01)
    assert w.best_focus == rect.center_focus and w.best_dose == rect.center_dose


def test_best_focus_follows_a_focus_shift():
    w = ed_window(fem_of(band(shift=40.0)), T, TOL, focus_samples=241, dose_samples=121)
    assert w.best_focus == pytest.approx(40.0, abs=steps(w)[0])
    assert w.max_ellipse().center_focus == pytest.approx(40.0, abs=steps(w)[0])


@functools.lru_cache(maxsize=None)
def ellipse_window() -> tuple[EDWindow, float, float]:
    """CD - T = TOL (2 rho^2 - 1) with rho^2 = (f/F)^2 + (u/U)^2: in spec exactly where rho <= 1."""
    big_f, big_u = 100.0, 0.1
    dose = E0 * np.exp(np.linspace(-0.15, 0.15, 9))
    ff, dd = np.meshgrid(FOCUS, dose, indexing="ij")
    cd = T + TOL * (2 * ((ff / big_f) ** 2 + (np.log(dd / E0) / big_u) ** 2) - 1)
    return ed_window(fem_of(cd, dose=dose), T, TOL), big_f, big_u


def test_elliptical_window_is_its_own_largest_ellipse():
    """The ellipse touches the nearest out-of-spec node: its semi-axes are within about a
    step of (F, U) (the aspect ratio is searched, the centre is a grid node)."""
    w, big_f, big_u = ellipse_window()
    df, du = steps(w)
    e = w.max_ellipse()
    assert isinstance(e, Ellipse) and not e.empty
    assert e.center_focus == pytest.approx(0.0, abs=df) and e.center_dose == pytest.approx(E0, rel=du)
    assert e.semi_focus == pytest.approx(big_f, abs=2 * df)
    assert e.semi_log_dose == pytest.approx(big_u, abs=2 * du)
    assert e.dof == 2 * e.semi_focus and e.el == pytest.approx(200 * math.tanh(e.semi_log_dose))
    assert e.dose_lo == pytest.approx(e.center_dose * math.exp(-e.semi_log_dose))
    assert e.area() == pytest.approx(math.pi * big_f * big_u, rel=0.03)


@pytest.mark.parametrize("el", [0.0, 5.0, 12.0, 18.0])
def test_rectangles_inscribed_in_the_elliptical_window(el):
    """Half-width h = artanh(p / 200) in ln dose: DOF = 2 F sqrt(1 - (h / U)^2) (centred at
    u = 0). The grid width is up to a step wider (h + du/2, placed symmetrically up to a
    step: h + du) and each focus edge up to a step inside."""
    w, big_f, big_u = ellipse_window()
    df, du = steps(w)
    h = math.atanh(el / 200.0)

    def dof(half):
        return 2 * big_f * math.sqrt(max(1 - (half / big_u) ** 2, 0.0))

    assert dof(h + du) - 2 * df <= w.dof(el) <= dof(h) + 1e-9


def test_largest_area_rectangle_in_the_ellipse():
    """Of the rectangles inscribed in (f/F)^2 + (u/U)^2 <= 1, the largest has corners at
    rho = 1 on the diagonals: sides sqrt(2) F x sqrt(2) U (in f x u; in f x EL the tanh
    changes the optimum by ~U^2/6 relative, < 0.2 %)."""
    w, big_f, big_u = ellipse_window()
    rect = w.max_rectangle()
    assert rect.dof == pytest.approx(math.sqrt(2) * big_f, rel=0.02)
    assert rect.el == pytest.approx(200 * math.tanh(big_u / math.sqrt(2)), rel=0.02)
    assert w.best_focus == pytest.approx(0.0, abs=steps(w)[0])


def test_el_dof_curve_is_the_monotone_staircase():
    w = band_window()
    dof, el = w.el_dof_curve()
    assert dof.shape == el.shape and el[0] == 0.0 and dof[0] == pytest.approx(w.dof(0.0))
    assert np.all(np.diff(dof) <= 0) and np.all(np.diff(el) > 0)
    dof25, el25 = w.el_dof_curve(25)
    assert el25.size == 25 and el25[-1] == pytest.approx(el[-1]) and np.all(np.diff(dof25) <= 0)
    np.testing.assert_allclose(dof25, [w.dof(e) for e in el25], atol=1e-9)
    # the band's EL at DOF -> 0 is 200 tanh(TOL / S) (the full band height 2 TOL / S in u)
    assert el[-1] == pytest.approx(200 * math.tanh(TOL / S), abs=200 * steps(w)[1])


def test_overlapping_gauges_window_is_the_intersection():
    fem = fem_of(band(), band(shift=40.0, target=60.0, curvature=0.8e-3), names=("line", "space"))
    both = ed_window(fem, [T, 60.0], TOL, focus_samples=201, dose_samples=201)
    line = ed_window(fem, T, TOL, "line", focus_samples=201, dose_samples=201)
    space = ed_window(fem, 60.0, TOL, ["space"], focus_samples=201, dose_samples=201)
    np.testing.assert_array_equal(both.mask, line.mask & space.mask)
    assert both.mask.sum() < min(line.mask.sum(), space.mask.sum())
    reordered = ed_window(fem, [60.0, T], [TOL, TOL], ["space", 0], focus_samples=201, dose_samples=201)
    np.testing.assert_array_equal(reordered.mask, both.mask)
    assert reordered.gauges == ("space", "line") and both.gauges == ("line", "space")
    for el in (0.0, 5.0, 10.0):
        assert both.dof(el) <= min(line.dof(el), space.dof(el))
    # the shared window lies between the two best focuses
    assert 0.0 < both.best_focus < 40.0


def test_unreachable_spec_gives_an_empty_window():
    w = ed_window(fem_of(band()), 200.0, TOL, focus_samples=101, dose_samples=101)
    assert w.empty and not w.mask.any()
    rect = w.max_rectangle()
    assert rect.empty and rect.dof == 0.0 and rect.el == 0.0 and math.isnan(rect.focus_lo)
    assert w.dof(5.0) == 0.0 and w.el(50.0) == 0.0
    dof, el = w.el_dof_curve()
    assert dof.size == 0 and el.size == 0 and w.el_dof_curve(10)[0].size == 0
    assert math.isnan(w.best_focus) and math.isnan(w.best_dose)
    assert w.max_ellipse().empty and w.max_ellipse().area() == 0.0
    assert "empty" in repr(w)
    # a window too small for the request gives an empty rectangle too
    assert band_window().max_rectangle(el=150.0).empty and band_window().dof(150.0) == 0.0
    assert band_window().max_rectangle(dof=1000.0).empty and band_window().el(1000.0) == 0.0


def test_not_printed_cells_are_out_of_spec_and_leave_the_rest_unchanged():
    cd = band()
    cd[6, 3] = np.nan   # focus 0, dose 20: the middle of the window
    w = ed_window(fem_of(cd), T, TOL, focus_samples=201, dose_samples=201)
    clean = ed_window(fem_of(band()), T, TOL, focus_samples=201, dose_samples=201)
    inside = (np.abs(w.focus) < 25.0)[:, None] & ((w.dose > 19.0) & (w.dose < 21.0))[None, :]
    assert np.isnan(w.cd[inside]).all() and np.isfinite(w.cd[~inside]).all()
    assert not w.mask[inside].any()
    # elsewhere the splines skip the missing node and still reproduce the quadratic surface
    np.testing.assert_allclose(w.cd[~inside], clean.cd[~inside], atol=1e-9)
    np.testing.assert_array_equal(w.mask[~inside], clean.mask[~inside])
    assert w.dof(5.0) < clean.dof(5.0)


def test_polynomial_focus_fit_equals_spline_on_polynomial_data():
    fem = fem_of(band())
    spline = ed_window(fem, T, TOL, focus_samples=151, dose_samples=151)
    poly = ed_window(fem, T, TOL, focus_samples=151, dose_samples=151, focus_fit="polynomial", order=2)
    np.testing.assert_allclose(poly.cd, spline.cd, atol=1e-9)


def test_bossung_fit_is_exact_for_quartic_data_and_finds_the_turning_point():
    """CD = A + c (f - f0)^2 + q (f - f0)^4 with c, q > 0 has one minimum, at f0 (per dose)."""
    f0 = np.array([-30.0, 0.0, 20.0, 45.0])
    a = np.array([40.0, 45.0, 50.0, 55.0])
    ff = FOCUS[:, None] - f0[None, :]
    cd = a + 2e-3 * ff ** 2 + 1e-8 * ff ** 4
    fem = FEMResult(FOCUS, [18.0, 19.0, 20.0, 21.0], ["g"], cd[..., None])
    fit = bossung(fem, "g")
    assert isinstance(fit, BossungFit) and fit.gauge == "g" and list(fit.degree) == [4] * 4
    fine, curves = fit.curves(101)
    g = fine[:, None] - f0[None, :]
    np.testing.assert_allclose(curves, a + 2e-3 * g ** 2 + 1e-8 * g ** 4, atol=1e-9)
    np.testing.assert_allclose(fit.best_focus, f0, atol=1e-6)
    np.testing.assert_allclose(fit.best_cd, a, atol=1e-9)
    np.testing.assert_allclose(fit.residuals, 0.0, atol=1e-9)
    np.testing.assert_allclose(fit.polynomial(2)(20.0), 50.0, atol=1e-9)
    assert fit(0.0).shape == (4,)


def test_bossung_skips_nan_and_lowers_the_degree():
    cd = 45.0 + 2e-3 * (FF - 10.0) ** 2 + 5.0 * UU          # quadratic in focus
    cd[[0, 1, 2, 3, 4, 8, 9, 10, 11, 12], 1] = np.nan         # 3 points left: degree 2, still exact
    cd[:, 2] = np.nan                                         # nothing printed at this dose
    cd[[0, 5, 12], 4] = np.nan
    cd[:, 5] = 40.0 + 0.01 * FOCUS                           # linear: no turning point
    fit = bossung(fem_of(cd), 0, order=4)
    assert list(fit.degree) == [4, 2, -1, 4, 4, 4, 4]
    assert np.isnan(fit.coef[2]).all() and math.isnan(fit.best_focus[2]) and math.isnan(fit.best_focus[5])
    ok = [0, 1, 3, 4, 6]
    np.testing.assert_allclose(fit.best_focus[ok], 10.0, atol=1e-6)
    fine, curves = fit.curves()
    exact = 45.0 + 2e-3 * (fine[:, None] - 10.0) ** 2 + 5.0 * np.log(DOSE / E0)[None, :]
    np.testing.assert_allclose(curves[:, ok], exact[:, ok], atol=1e-8)
    assert np.isnan(curves[:, 2]).all()
    assert np.isnan(fit.residuals[:5, 1]).all() and np.nanmax(np.abs(fit.residuals[:, ok])) < 1e-8


def test_window_built_directly_and_its_validation():
    f = np.linspace(-50.0, 50.0, 21)
    d = 20.0 * np.exp(np.linspace(-0.1, 0.1, 11))
    cd = np.full((21, 11, 1), T)
    w = EDWindow(f, d, ("g",), T, TOL, cd)
    assert w.mask.all() and w.dof(0.0) == pytest.approx(100.0) and w.el(100.0) == pytest.approx(200 * math.tanh(0.1))
    e = w.max_ellipse()   # the whole matrix is in spec: the ellipse fills it (to the aspect search's 0.1 %)
    assert e.semi_focus == pytest.approx(50.0, rel=1e-3) and e.semi_log_dose == pytest.approx(0.1, rel=1e-3)
    with pytest.raises(InvalidParameterError, match="dose.*uniform"):
        EDWindow(f, np.linspace(18.0, 22.0, 11), ("g",), T, TOL, cd)
    with pytest.raises(InvalidParameterError, match="cd"):
        EDWindow(f, d, ("g",), T, TOL, cd[:, :5])
    with pytest.raises(InvalidParameterError, match="tolerance"):
        EDWindow(f, d, ("g",), T, -1.0, cd)
    with pytest.raises(AttributeError):
        w.target = 3.0  # frozen


def test_bad_input():
    fem = fem_of(band())
    for bad in (float("nan"), 0.0, -5.0, float("inf"), "50"):
        with pytest.raises(InvalidParameterError, match="target"):
            ed_window(fem, bad, TOL)
        with pytest.raises(InvalidParameterError, match="tolerance"):
            ed_window(fem, T, bad)
    with pytest.raises(InvalidParameterError, match="target.*one per gauge"):
        ed_window(fem, [T, T], TOL)
    with pytest.raises(InvalidParameterError, match="gauge"):
        ed_window(fem, T, TOL, "nope")
    with pytest.raises(InvalidParameterError, match="gauge"):
        ed_window(fem, T, TOL, [3])
    with pytest.raises(InvalidParameterError, match="gauge"):
        bossung(fem, "nope")
    one_focus = FEMResult([0.0], DOSE, ["a"], band()[6:7, :, None])
    one_dose = FEMResult(FOCUS, [20.0], ["a"], band()[:, 3:4, None])
    for f in (one_focus, one_dose):
        with pytest.raises(InvalidParameterError, match="fem.(focus|dose).*at least 2"):
            ed_window(f, T, TOL)
    with pytest.raises(InvalidParameterError, match="fem.focus"):
        bossung(one_focus, "a")
    with pytest.raises(InvalidParameterError, match="fem"):
        ed_window(band(), T, TOL)
    for bad in (0, -1, 2.5):
        with pytest.raises(InvalidParameterError, match="order"):
            bossung(fem, "a", order=bad)
        with pytest.raises(InvalidParameterError, match="order"):
            ed_window(fem, T, TOL, focus_fit="polynomial", order=bad)
    with pytest.raises(InvalidParameterError, match="focus_samples"):
        ed_window(fem, T, TOL, focus_samples=1)
    with pytest.raises(InvalidParameterError, match="focus_fit"):
        ed_window(fem, T, TOL, focus_fit="linear")
    w = band_window()
    with pytest.raises(InvalidParameterError, match="el"):
        w.max_rectangle(el=5.0, dof=10.0)
    for bad in (-1.0, 200.0, float("nan")):
        with pytest.raises(InvalidParameterError, match="el"):
            w.dof(bad)
    with pytest.raises(InvalidParameterError, match="dof"):
        w.el(-1.0)
    with pytest.raises(InvalidParameterError, match="n"):
        w.el_dof_curve(1)
