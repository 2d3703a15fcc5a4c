"""An etch process: rates per material, ion flux and time, run on a resist pattern."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import integer, nonnegative_number, number_in, positive_number
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from . import levelset
from ..backend import get_array_module, to_numpy
from .domain import VOID, Domain, from_layout, from_resist_profile
from .engine import LevelSetEngine, distance_from, reinit_iterations
from .profile import EtchProfile
from .modulation import arde_factor, opening_widths, passivation_factor
from .rates import AspectRatioDependence, IonFlux, Passivation, Rate
from .stack import Stack

__all__ = ["EtchProcess"]


@dataclass(frozen=True)
class EtchProcess:
    """Etch of a patterned resist into a film stack by a level-set front.

    Parameters
    ----------
    rates : mapping of material name -> Rate
        Rates of the resist (``"resist"``) and the stack's materials; a material not
        named does not etch.
    time : float
        Etch time, s.
    ions : IonFlux
        Angular distribution of the ion flux driving the directional rates.
    dz : float, optional
        Vertical grid step, nm (default: the lateral pixel).
    cfl : float
        Courant number of the time step (0 < cfl <= 0.5).
    dt : float, optional
        A fixed time step, s; refused when above the CFL limit.
    band : int
        Half-width of the narrow band, cells (>= 4).
    reinit_every : int
        Steps between re-initialisations (and visibility updates).
    order : int
        Spatial order of the upwind differences, 1 or 2.
    arde : AspectRatioDependence, optional
        Coburn-Winters rate lag of the films in deep openings (RIE lag).
    passivation : Passivation, optional
        Sidewall passivation: the isotropic rate falls where the ions do not strike.
    """

    rates: Mapping[str, Rate]
    time: float
    ions: IonFlux = field(default_factory=IonFlux)
    dz: float | None = None
    cfl: float = 0.5
    dt: float | None = None
    band: int = 6
    reinit_every: int = 4
    order: int = 2
    arde: AspectRatioDependence | None = None
    passivation: Passivation | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rates, Mapping) or not all(isinstance(v, Rate) for v in self.rates.values()):
            raise InvalidParameterError("rates", self.rates, "a mapping of material name -> Rate(isotropic, directional)")
        object.__setattr__(self, "rates", dict(self.rates))
        object.__setattr__(self, "time", nonnegative_number("time", self.time, "s"))
        if not isinstance(self.ions, IonFlux):
            raise InvalidParameterError("ions", self.ions, "an IonFlux")
        if self.dz is not None:
            object.__setattr__(self, "dz", positive_number("dz", self.dz, "nm"))
        object.__setattr__(self, "cfl", number_in("cfl", self.cfl, 0.0, 0.5, low_open=True))
        if self.dt is not None:
            object.__setattr__(self, "dt", positive_number("dt", self.dt, "s"))
        object.__setattr__(self, "band", integer("band", self.band, 4))
        object.__setattr__(self, "reinit_every", integer("reinit_every", self.reinit_every, 1))
        if self.order not in (1, 2):
            raise InvalidParameterError("order", self.order, "1 or 2")
        if self.arde is not None and not isinstance(self.arde, AspectRatioDependence):
            raise InvalidParameterError("arde", self.arde, "an AspectRatioDependence(sticking, geometry) or None")
        if self.passivation is not None and not isinstance(self.passivation, Passivation):
            raise InvalidParameterError("passivation", self.passivation, "a Passivation(strength) or None")

    # -- set-up -----------------------------------------------------------------------

    def _domain(self, pattern: Any, stack: Stack, pixel: float | None, shape: Any, origin: Any,
                resist_thickness: float | None, sidewall_angle: float) -> Domain:
        from ..resist.profile import ResistProfile

        if not isinstance(stack, Stack):
            raise InvalidParameterError("stack", stack, "a litho.etch.Stack")
        if isinstance(pattern, ResistProfile):
            headroom = (self.band + 3) * (self.dz or pattern.spacing[0])
            return from_resist_profile(pattern, stack, dz=self.dz, headroom=headroom)
        if isinstance(pattern, Layout):
            if pixel is None or shape is None or resist_thickness is None:
                raise InvalidParameterError("pattern", "Layout", "a Layout with pixel=, shape= and "
                                            "resist_thickness= (or a ResistProfile)")
            headroom = (self.band + 3) * (self.dz or pixel)
            return from_layout(pattern, stack, pixel=pixel, shape=shape, origin=origin,
                               resist_thickness=resist_thickness, sidewall_angle=sidewall_angle,
                               dz=self.dz, headroom=headroom)
        raise InvalidParameterError("pattern", type(pattern).__name__, "a ResistProfile or a Layout of resist")

    def _rate_maps(self, domain: Domain, reach: int) -> tuple[np.ndarray, np.ndarray]:
        """Isotropic and directional rate at every node.

        A solid node has its material's rates. A void node gets the largest rate of the
        solid within ``reach`` cells: the void side of the surface then moves with the
        fastest material it borders, so the front keeps its gradient (a void node held
        still would flatten the upwind difference of the solid node beside it and slow
        the front by up to a cell); next to an inert material this only deepens the void
        and moves nothing.
        """
        from .._kernels import levelset as levelset_kernel

        unknown = sorted(set(self.rates) - set(domain.names))
        if unknown:
            raise InvalidParameterError("rates", unknown[0], f"a material of this etch: one of {list(domain.names)}")
        mat = domain.material
        void = mat == VOID
        if void.all():
            raise InvalidParameterError("pattern", "empty", "a pattern with some solid material")
        maps = []
        for attr in ("isotropic", "directional"):
            per = np.array([getattr(self.rates.get(n, Rate()), attr) for n in domain.names] + [0.0])
            # rates >= 0: the trailing 0 (VOID = -1 picks it) has rank 0. The largest rank
            # within the box is the number of rank thresholds some node in it reaches: a
            # dilation per threshold (the kernel's byte dilation, y and x periodic, z
            # ending at the edges, as ndimage's maximum filter in modes nearest / wrap)
            levels, rank = np.unique(per, return_inverse=True)
            ranks = rank.astype(np.uint8)[mat]
            near = np.zeros_like(ranks)
            for r in range(1, len(levels)):
                near += levelset_kernel.dilate(ranks >= r, reach)
            maps.append(levels[np.where(void, near, ranks)])
        return maps[0], maps[1]

    # -- run --------------------------------------------------------------------------

    def run(self, pattern: Any, stack: Stack, *, pixel: float | None = None, shape: Any = None,
            origin: tuple[float, float] = (0.0, 0.0), resist_thickness: float | None = None,
            sidewall_angle: float = 90.0, backend: str | None = None) -> EtchProfile:
        """Etch ``pattern`` into ``stack``.

        Parameters
        ----------
        pattern : ResistProfile or Layout
            A developed resist, or resist polygons (nm) extruded to ``resist_thickness``
            with ``sidewall_angle`` (degrees, 90 vertical, < 90 wider at the foot) on a
            grid of ``pixel`` nm and ``shape`` (ny, nx) from ``origin``; ny = 1 gives a
            2-D cross-section in x-z.
        stack : Stack
            Films under the resist.
        backend : {"auto", "numpy", "cupy"}, optional
            Where the level set evolves (default: ``litho.config``); numpy runs the Cython
            kernel. The result is on the host either way.

        Returns
        -------
        EtchProfile
        """
        domain = self._domain(pattern, stack, pixel, shape, origin, resist_thickness, sidewall_angle)
        f_iso, f_dir = self._rate_maps(domain, self.band + 2)
        spacing = domain.spacing
        ny = domain.phi.shape[1]
        directions, weights = self.ions.directions(two_d=ny == 1)
        hmin = min(spacing) if ny > 1 else min(spacing[0], spacing[2])
        band = self.band * hmin
        dt_max = levelset.cfl_dt(spacing, ny, float(f_iso.max()), float(f_dir.max()), directions, weights, self.cfl)
        if self.dt is not None and self.dt > dt_max:
            raise InvalidParameterError("dt", self.dt, f"a time step <= the CFL limit {dt_max:.4g} s")
        step = self.dt if self.dt is not None else dt_max
        n_steps = 0 if self.time == 0 else max(1, math.ceil(self.time / step - 1e-9))
        dt = self.time / n_steps if n_steps else 0.0
        if self.passivation is None and (not any(w > 0 for w in weights) or float(f_dir.max()) == 0.0):
            directions, weights = np.zeros((0, 3)), np.zeros(0)  # no ion term to evaluate
        iterations = reinit_iterations(band, hmin)
        # cells the surface can move between two re-initialisations (normal speed <= f_iso
        # + f_dir sum w): band-edge nodes that far out rejoin the band; the rest is frozen
        speed = float(f_iso.max()) + float(f_dir.max()) * float(np.sum(weights))
        reach = math.ceil(self.reinit_every * dt * speed / hmin) + 1
        # the band was a distance at the last re-initialisation and has been advected since:
        # the iterations carry the distance over the cells the surface moved (and a margin)
        # to the nodes that rejoin the band, not across the whole band
        iterations = min(iterations, reinit_iterations(reach * hmin, hmin))
        xp = get_array_module(backend)
        phi = xp.asarray(domain.phi)
        # Without an ion term phi is a distance from here on (distance_from, then
        # re-initialised every few steps) and the isotropic rate moves the surface by exactly
        # f_iso dt, round corners included; with ions the rates vary with visibility, phi
        # departs from a distance between re-initialisations, and the upwind G is the
        # consistent choice (G = 1 there over-etches the shadowed walls: 8.8 instead of 6.9 nm
        # of undercut in the passivation test's case)
        engine = LevelSetEngine(phi, spacing, directions, weights, band * (1 - 1e-9), self.order,
                                distance=len(weights) == 0)
        f_iso, f_dir = engine.rates(f_iso), engine.rates(f_dir)
        base_iso, base_dir = f_iso, f_dir
        widths = opening_widths(domain) if self.arde is not None else None
        if widths is not None:
            not_resist = xp.asarray(domain.material != 0)  # ARDE slows the films, not the mask
        # the surface's neighbours get their subcell distance, the rest is clipped to the
        # band, then distances spread out from the surface
        phi = distance_from(phi, spacing, band)
        initial = to_numpy(phi)  # prepare() below copies: the steps never touch this
        phi = engine.prepare(phi)
        vis = None
        for n in range(n_steps):
            if n % self.reinit_every == 0:
                if n:
                    # the nodes beside the surface are held: re-estimating their subcell
                    # distance every few steps would creep convex corners of an unetched
                    # mask outwards (observed 0.2 nm at a resist corner after 12 passes)
                    phi = engine.reinitialize(phi, iterations, band, keep_near=True, reach=reach)
                if len(weights):
                    vis = engine.visibility(phi)
                if widths is not None or self.passivation is not None:
                    f_iso, f_dir = base_iso, base_dir
                    if widths is not None:
                        col = xp.where(not_resist, arde_factor(phi, domain.elevations, widths, self.arde)[None], 1.0)
                        f_iso, f_dir = engine.rates(f_iso * col), engine.rates(f_dir * col)
                    if self.passivation is not None:
                        f_iso = engine.rates(f_iso * passivation_factor(phi, spacing, directions, weights, vis,
                                                                        self.passivation))
            phi = engine.step(phi, dt, f_iso, f_dir, vis)
        if n_steps:
            phi = engine.reinitialize(phi, iterations, band, keep_near=True, reach=reach)
        phi = to_numpy(phi)
        return EtchProfile(phi=phi, initial=initial, material=domain.material, names=domain.names,
                           spacing=spacing, origin=domain.origin, top=domain.top,
                           resist_thickness=domain.resist_thickness, stack=stack, time=self.time, steps=n_steps)

