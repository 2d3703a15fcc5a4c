"""Focus-exposure matrices and process windows: FEM, Bossung curves, ED windows, DOF and EL."""

from .fem import fem
from .result import FEMResult

__all__ = ["FEMResult", "fem"]
