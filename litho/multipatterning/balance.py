"""Colour balance: even mask densities without changing conflicts or stitches.

Conflicts and stitches depend only on whether the two ends of an edge share a colour, so
permuting the colours of a connected component of the (conflict + stitch) graph leaves
them unchanged. Components are taken largest first, and each gets the permutation that
minimises the squared deviation of the mask areas from their mean, globally and in every
window of a grid (greedy; k! permutations per component, 24 for k = 4).
"""

from __future__ import annotations

import itertools

import numpy as np


def balance_colors(colors: np.ndarray, k: int, edges: np.ndarray, areas: np.ndarray, centres: np.ndarray,
                   window: float) -> np.ndarray:
    """Permute colours per component to balance mask areas.

    Parameters
    ----------
    colors : ndarray (n,)
        A colouring (its conflicts and stitches are kept exactly).
    k : int
        Number of masks.
    edges : ndarray (m, 2)
        Conflict and stitch edges (they define the components).
    areas : ndarray (n,)
        Area of each vertex, nm².
    centres : ndarray (n, 2)
        A representative point of each vertex (its window), nm.
    window : float
        Window size for local balance, nm.

    Returns
    -------
    ndarray (n,)
        The balanced colouring.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(colors)
    if n == 0:
        return colors.copy()
    adjacency = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n)) if len(edges) else \
        coo_matrix((n, n))
    n_comp, comp = connected_components(adjacency, directed=False)
    cell = np.floor(centres / window).astype(np.int64)
    _, win = np.unique(cell, axis=0, return_inverse=True)
    win = win.reshape(-1)
    n_win = int(win.max()) + 1
    # area of every (component, window, colour) under the current colouring
    comp_area = np.bincount(comp, weights=areas, minlength=n_comp)
    order = np.argsort(-comp_area, kind="stable")
    members = np.argsort(comp, kind="stable")
    bounds = np.searchsorted(comp[members], np.arange(n_comp + 1))
    permutations = [np.array(p) for p in itertools.permutations(range(k))]
    total = np.zeros(k)
    local = np.zeros((n_win, k))
    out = colors.copy()
    for c in order:
        vertices = members[bounds[c]:bounds[c + 1]]
        wins, colour, area = win[vertices], colors[vertices], areas[vertices]
        best, best_cost = None, np.inf
        touched = np.unique(wins)
        for perm in permutations:
            new = perm[colour]
            g = total + np.bincount(new, weights=area, minlength=k)
            l = local[touched].copy()
            np.add.at(l, (np.searchsorted(touched, wins), new), area)
            cost = np.sum((g - g.mean()) ** 2) + np.sum((l - l.mean(axis=1, keepdims=True)) ** 2)
            if best is None or cost < best_cost - 1e-9 * max(abs(best_cost), 1.0):
                best, best_cost = perm, cost
        new = best[colour]
        out[vertices] = new
        total += np.bincount(new, weights=area, minlength=k)
        np.add.at(local, (wins, new), area)
    return out
