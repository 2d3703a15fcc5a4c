"""Multiple-patterning decomposition: conflict graphs, k-colouring, stitches, balance, SADP."""

from .decomposition import Decomposition, decompose
from .graph import ConflictGraph, conflict_graph
from .sadp import SADPResult, decompose_sadp, sadp_process

__all__ = ["ConflictGraph", "Decomposition", "SADPResult", "conflict_graph", "decompose", "decompose_sadp", "sadp_process"]
