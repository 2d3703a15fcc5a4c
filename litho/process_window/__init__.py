"""Focus-exposure matrices and process windows: FEM, Bossung curves, ED windows, DOF and EL."""

from .bossung import BossungFit, bossung
from .fem import fem
from .plots import plot_bossung, plot_ed_window
from .result import FEMResult
from .window import EDWindow, Ellipse, Rectangle, ed_window, exposure_latitude

__all__ = ["FEMResult", "fem", "BossungFit", "bossung", "EDWindow", "ed_window", "Rectangle", "Ellipse",
           "exposure_latitude", "plot_bossung", "plot_ed_window"]
