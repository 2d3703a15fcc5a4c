"""Multiple-patterning decomposition: conflict graphs, k-colouring, stitches, balance, SADP."""

from .decomposition import Decomposition, decompose
from .graph import ConflictGraph, conflict_graph

__all__ = ["ConflictGraph", "Decomposition", "conflict_graph", "decompose"]
