"""Optional cross-check of litho's level-set etch against ViennaPS (2-D trench, 1 nm grid).

ViennaPS is GPL-licensed: it is used ONLY here, as an optional reference, and must never
become a dependency of litho (it is not in pyproject.toml; the test skips without it, as
in CI). To run it locally: ``pip install viennaps`` into the dev environment.

Geometry, the same in both codes: a 60 nm film on a 10 nm inert substrate, an inert 40 nm
thick mask with a 40 nm wide opening, period 200 nm (periodic in x), 1 nm cells. litho
puts the film top at elevation 0 and the opening at x = 80..120; ViennaPS builds the stack
from y = 0 upward (film top at y = 70) with the opening centred on x = 0. ViennaPS's
surface is read from its surface mesh (line segments) and cut with horizontal and
vertical lines, like litho's ``cd`` and ``depth``.

ViennaPS numerics: forward-Euler Engquist-Osher 2nd order (its 2nd-order upwind scheme,
the closest to litho's ENO2). Its default (Engquist-Osher 1st order) smears the corner
fan more (CDs ~2 nm smaller still); its Runge-Kutta time steppers, tried here with
ViennaPS 4.7.0, under-etched (floor 15-19 nm down instead of 20), so they are not used.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

try:  # like pytest.importorskip, but also skips a broken binary install (plain ImportError)
    import viennaps as vps
except ImportError as exc:
    pytest.skip(f"ViennaPS (optional, GPL) is not available: {exc}", allow_module_level=True)
if tuple(int(p) for p in vps.__version__.split(".")[:2]) < (4, 7):
    pytest.skip(f"ViennaPS {vps.__version__} < 4.7 (the API used here)", allow_module_level=True)

from litho import Layout  # noqa: E402
from litho.etch import EtchProcess, Layer, Rate, Stack  # noqa: E402

d2 = vps.d2

FILM, SUBSTRATE, MASK = 60.0, 10.0, 40.0
PERIOD, OPENING_WIDTH, GRID = 200.0, 40.0, 1.0

STACK = Stack([Layer("film", FILM)], substrate_thickness=SUBSTRATE)
OPENING = Layout.from_rects([[0, 0, 80, 1], [120, 0, 200, 1]])  # mask with a 40 nm opening (2-D)
CUT = ((0.0, 0.5), (200.0, 0.5))


# --- litho ---------------------------------------------------------------------------

def litho_etch(rates, time):
    return EtchProcess(rates, time=time).run(OPENING, STACK, pixel=GRID, shape=(1, 200), resist_thickness=MASK)


# --- ViennaPS ------------------------------------------------------------------------

def _vps_domain():
    """Substrate (SiO2, inert), film (Si) and mask (Mask, 40 nm cutout) on a periodic 1 nm grid."""
    dom = d2.Domain(gridDelta=GRID, xExtent=PERIOD, boundary=vps.BoundaryType.PERIODIC_BOUNDARY)
    layer = d2.MakeTrench.MaterialLayer  # (height, cutout width, taper, material, isMask)
    d2.MakeTrench(dom, [layer(SUBSTRATE, 0.0, 0.0, vps.Material.SiO2, False),
                        layer(FILM, 0.0, 0.0, vps.Material.Si, False),
                        layer(MASK, OPENING_WIDTH, 0.0, vps.Material.Mask, True)]).apply()
    return dom


def _segments(dom):
    mesh = dom.getSurfaceMesh(addInterfaces=False)
    nodes = np.asarray(mesh.getNodes(), float)[:, :2]
    lines = np.asarray(mesh.getLines(), int)
    return nodes[lines[:, 0]], nodes[lines[:, 1]]


def _crossings(a, b, axis, c):
    """The other coordinate where the segments a-b cross the line {coordinate axis = c}
    (half-open on each segment, so a node lying on the line counts once)."""
    lo, hi = np.minimum(a[:, axis], b[:, axis]), np.maximum(a[:, axis], b[:, axis])
    s = (lo <= c) & (c < hi)
    t = (c - a[s, axis]) / (b[s, axis] - a[s, axis])
    o = 1 - axis
    return a[s, o] + t * (b[s, o] - a[s, o])


class _VpsProfile:
    """depth and opening width of a ViennaPS result, in litho's elevations (film top = 0)."""

    def __init__(self, dom, film_top):
        self.a, self.b = _segments(dom)
        self.film_top = film_top

    @property
    def depth(self):
        return self.film_top - _crossings(self.a, self.b, 0, 0.0).min()  # at the opening centre

    def cd(self, elevation):
        xs = _crossings(self.a, self.b, 1, self.film_top + elevation)
        return xs[xs > 0].min() - xs[xs < 0].max()  # the walls nearest the opening centre


def vps_etch(model, time):
    vps.Logger.setLogLevel(vps.LogLevel.ERROR)
    dom = _vps_domain()
    a, b = _segments(dom)
    film_top = _crossings(a, b, 0, 0.0).max()  # the initial floor of the opening (70 nm, to 1e-4)
    assert film_top == pytest.approx(SUBSTRATE + FILM, abs=1e-2)
    process = d2.Process(dom, model, time)
    params = vps.AdvectionParameters()
    params.spatialScheme = vps.SpatialScheme.ENGQUIST_OSHER_2ND_ORDER
    params.temporalScheme = vps.TemporalScheme.FORWARD_EULER
    process.setParameters(params)
    process.apply()
    return _VpsProfile(dom, film_top)


# --- the cross-checks ----------------------------------------------------------------

def test_isotropic_etch_matches_viennaps():
    # film etches at 1 nm/s for 20 s; mask and substrate inert (ViennaPS: rates < 0 etch)
    ours = litho_etch({"film": Rate(isotropic=1.0)}, 20.0)
    ref = vps_etch(d2.IsotropicProcess(materialRates={vps.Material.Si: -1.0}, defaultRate=0.0), 20.0)

    # the flat floor moves exactly R t in both (observed 20.0000 each)
    assert ours.depth == pytest.approx(20.0, abs=1e-2)
    assert ref.depth == pytest.approx(20.0, abs=1e-2)
    assert ours.depth == pytest.approx(ref.depth, abs=1e-2)

    # undercut: the opening below the film top. Exact (Huygens) answer 40 + 2 sqrt(400 - e^2).
    # ViennaPS's upwind scheme is short of it by the first-order smearing of the expansion
    # fan at the mask edge (its G is ~0.3 beside the kink); litho moves a distance function
    # by R dt there (no ion term) and is within a cell per side. Observed CDs (nm),
    # litho / ViennaPS / exact:
    #   e = -5 : 77.87 / 75.56 / 78.73
    #   e = -10: 73.51 / 71.51 / 74.64
    #   e = -15: 64.97 / 62.43 / 66.46
    # i.e. litho - ViennaPS = +2.3, +2.0, +2.5 nm on the CD. Tolerances: litho within 2 nm
    # of exact on the CD (one 1 nm cell per side, as the issue asks); ViennaPS within 4.5 nm
    # (its fan lag, ~2 cells per side) and never above exact; the two within 3 nm (ViennaPS's
    # lag less ours). Elevations within ~2 nm of the mask foot are left out: ViennaPS keeps
    # a sub-cell sliver of film under the mask (its film level set does not move where the
    # mask covers it), which narrows its opening there (observed -4.8 nm at e = -1).
    for e in (-5.0, -10.0, -15.0):
        ref_cd, our_cd = ref.cd(e), ours.cd(CUT, e, "space")
        exact = OPENING_WIDTH + 2 * math.sqrt(400.0 - e * e)
        assert exact - 2.0 < our_cd <= exact + 0.5, (e, our_cd, exact)
        assert exact - 4.5 < ref_cd <= exact + 0.5, (e, ref_cd, exact)
        assert our_cd == pytest.approx(ref_cd, abs=3.0), (e, our_cd, ref_cd)
    # the inert mask did not move in either code (its opening 20 nm above the film top)
    assert ours.cd(CUT, 20.0, "space") == pytest.approx(OPENING_WIDTH, abs=1e-2)
    assert ref.cd(20.0) == pytest.approx(OPENING_WIDTH, abs=1e-2)
    assert ours.resist_loss == pytest.approx(0.0, abs=1e-6)


def test_directional_etch_matches_viennaps():
    # vertical collimated ions, film at 1 nm/s for 30 s; mask and substrate inert
    ours = litho_etch({"film": Rate(directional=1.0)}, 30.0)
    rates = vps.RateSet(direction=[0.0, -1.0, 0.0], directionalVelocity=-1.0, isotropicVelocity=0.0,
                        maskMaterials=[vps.Material.Mask, vps.Material.SiO2], calculateVisibility=True)
    ref = vps_etch(d2.DirectionalProcess(rates), 30.0)

    # the floor moves rate x time in both (observed 30.0000 each)
    assert ours.depth == pytest.approx(30.0, abs=1e-2)
    assert ref.depth == pytest.approx(30.0, abs=1e-2)
    # vertical walls: the opening stays 40 nm wide at every depth above the floor corner
    # (observed at e = -1, -10, -20: litho 40.000, 40.000, 39.994; ViennaPS 40.000 at all
    # three; the walls get no flux and do not move, the residue is interpolation and the
    # start of the floor corner). Tolerance 0.05 nm. The last few nm above the floor are
    # left out: both round the floor corner over ~1-2 cells, differently (at e = -25 litho
    # 39.75, ViennaPS 39.998; at e = -28 litho 38.53, ViennaPS 39.37).
    for e in (-1.0, -10.0, -20.0):
        ref_cd, our_cd = ref.cd(e), ours.cd(CUT, e, "space")
        assert ref_cd == pytest.approx(OPENING_WIDTH, abs=0.05), (e, ref_cd)
        assert our_cd == pytest.approx(OPENING_WIDTH, abs=0.05), (e, our_cd)
        assert our_cd == pytest.approx(ref_cd, abs=0.05)
    assert ref.cd(20.0) == pytest.approx(OPENING_WIDTH, abs=1e-2)  # mask untouched
    assert ours.resist_loss == pytest.approx(0.0, abs=1e-6)
