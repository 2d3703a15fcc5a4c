"""Etch: a level-set engine that transfers a resist pattern into a film stack.

``EtchProcess(rates={...}, time=...).run(resist_profile_or_layout, Stack([...]))`` gives an
:class:`EtchProfile` (CDs at any elevation, sidewall angles, depth, resist loss, etch
bias, cross-sections). Rates are per material (:class:`Rate`: isotropic and directional),
the ion flux has an angular spread with shadowing (:class:`IonFlux`), and
:func:`coburn_winters` gives aspect-ratio-dependent rate factors.
"""

from .profile import EtchCrossSection, EtchProfile
from .process import EtchProcess
from .rates import AspectRatioDependence, IonFlux, Passivation, Rate, clausing_factor, coburn_winters
from .stack import RESIST, Layer, Stack

__all__ = ["EtchProcess", "EtchProfile", "EtchCrossSection", "Rate", "IonFlux", "AspectRatioDependence",
           "Passivation", "coburn_winters",
           "clausing_factor", "Layer", "Stack", "RESIST"]
