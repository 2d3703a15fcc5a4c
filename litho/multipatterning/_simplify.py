"""Graph simplification for layout-decomposition colouring (used by :mod:`.coloring`).

Three reductions from the decomposition literature (Yu & Pan's TPL papers, OpenMPL),
each of which preserves the minimum cost exactly:

1. **Connected components** are independent problems.
2. **Low-degree removal**: a vertex with fewer than ``k`` conflict neighbours and no
   stitch edge can always be given a colour none of its neighbours has, whatever the
   colours of the others, so it is removed (pushed on a stack) and coloured last, in
   reverse removal order, at zero cost. Removal is iterated: removing a vertex lowers
   its neighbours' degrees.
3. **Biconnected components (blocks)**: every edge belongs to exactly one block, so
   the cost is a sum over blocks. Blocks share only articulation vertices, and the
   block-cut tree is a tree; permuting the colours of a block leaves its conflicts
   and stitches unchanged (both only ask whether two ends are equal). Walking the
   block-cut tree from a root, each newly reached block shares exactly one vertex
   with the part already coloured, and one transposition of its colours makes that
   vertex agree. So independently optimal blocks recombine into a globally optimal
   colouring, and the sum of the blocks' lower bounds is a lower bound of the whole.

Everything works on CSR adjacency (numpy arrays, converted to Python lists for the
sequential loops, which are linear in the graph size).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "biconnected_blocks",
    "color_removed",
    "csr",
    "merge_pairs",
    "peel_low_degree",
    "recombine_blocks",
]


def merge_pairs(pairs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique undirected pairs ``(u < v)`` and the index of each one's first occurrence.

    Parameters
    ----------
    pairs : ndarray, shape (m, 2), int64
        Validated vertex pairs (no self-loops).
    n : int
        Number of vertices.

    Returns
    -------
    u, v, first : ndarray of int64
        ``u < v`` for every unique pair, sorted by ``(u, v)``; ``first[i]`` is the row of
        ``pairs`` where pair ``i`` first occurs.
    """
    if len(pairs) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    lo = np.minimum(pairs[:, 0], pairs[:, 1])
    hi = np.maximum(pairs[:, 0], pairs[:, 1])
    key = lo * np.int64(n) + hi
    uniq, first = np.unique(key, return_index=True)
    return uniq // n, uniq % n, first.astype(np.int64)


def csr(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric CSR adjacency of the undirected edges ``(u[i], v[i])``.

    Returns ``indptr`` (n + 1), ``indices`` (neighbours) and ``eid`` (the edge index of
    each adjacency slot), so that the neighbours of ``x`` are
    ``indices[indptr[x]:indptr[x + 1]]``.
    """
    m = len(u)
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    eid = np.concatenate([np.arange(m, dtype=np.int64), np.arange(m, dtype=np.int64)])
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst[order], eid[order]


def peel_low_degree(
    n: int, indptr: np.ndarray, indices: np.ndarray, pinned: np.ndarray, k: int
) -> tuple[list[int], np.ndarray]:
    """Iteratively remove vertices with conflict degree < ``k`` that are not pinned.

    Parameters
    ----------
    n : int
        Number of vertices.
    indptr, indices : ndarray
        CSR conflict adjacency (unique neighbours).
    pinned : ndarray of bool, shape (n,)
        Vertices that must stay (those with stitch edges).
    k : int
        Number of colours.

    Returns
    -------
    order : list of int
        Removed vertices in removal order (colour them in reverse).
    removed : ndarray of bool, shape (n,)

    Notes
    -----
    A vertex is queued when fewer than ``k`` of its neighbours are still unqueued
    (i.e. remain after everything queued before it); its neighbours that are removed
    after it, plus the kernel, are a subset of those, so when it is coloured (in reverse
    removal order) fewer than ``k`` neighbours are coloured and a free colour exists.
    """
    deg = np.diff(indptr)
    queued = (deg < k) & ~pinned
    stack = np.flatnonzero(queued).tolist()
    if not stack:
        return [], np.zeros(n, dtype=bool)
    deg_l = deg.tolist()
    queued_l = queued.tolist()
    pinned_l = pinned.tolist()
    ip = indptr.tolist()
    ind = indices.tolist()
    order: list[int] = []
    while stack:
        x = stack.pop()
        order.append(x)
        for i in range(ip[x], ip[x + 1]):
            y = ind[i]
            if not queued_l[y]:
                d = deg_l[y] - 1
                deg_l[y] = d
                if d < k and not pinned_l[y]:
                    queued_l[y] = True
                    stack.append(y)
    removed = np.zeros(n, dtype=bool)
    removed[order] = True
    return order, removed


def biconnected_blocks(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, int]:
    """Biconnected component (block) of every edge, by an iterative Tarjan DFS.

    Parameters
    ----------
    n : int
        Number of vertices.
    u, v : ndarray of int64
        A simple undirected graph (unique pairs, no self-loops).

    Returns
    -------
    block : ndarray of int64, shape (m,)
        Block index of each edge, in ``[0, n_blocks)``.
    n_blocks : int
    """
    m = len(u)
    if m == 0:
        return np.zeros(0, dtype=np.int64), 0
    indptr, nbr, eid = csr(n, u, v)
    ip = indptr.tolist()
    nb = nbr.tolist()
    ei = eid.tolist()
    disc = [-1] * n
    low = [0] * n
    blk = [-1] * m
    n_blocks = 0
    t = 0
    for root in np.flatnonzero(np.diff(indptr)).tolist():
        if disc[root] != -1:
            continue
        disc[root] = low[root] = t
        t += 1
        vs = [root]
        pes = [-1]
        its = [ip[root]]
        estack: list[int] = []
        while vs:
            x = vs[-1]
            i = its[-1]
            if i < ip[x + 1]:
                its[-1] = i + 1
                e = ei[i]
                if e == pes[-1]:
                    continue
                y = nb[i]
                dy = disc[y]
                if dy == -1:
                    estack.append(e)
                    disc[y] = low[y] = t
                    t += 1
                    vs.append(y)
                    pes.append(e)
                    its.append(ip[y])
                elif dy < disc[x]:  # back edge to an ancestor, seen once from below
                    estack.append(e)
                    low[x] = min(low[x], dy)
            else:
                vs.pop()
                pe = pes.pop()
                its.pop()
                if vs:
                    p = vs[-1]
                    low[p] = min(low[p], low[x])
                    if low[x] >= disc[p]:  # p separates x's subtree: pop one block
                        while True:
                            e = estack.pop()
                            blk[e] = n_blocks
                            if e == pe:
                                break
                        n_blocks += 1
    return np.asarray(blk, dtype=np.int64), n_blocks


def recombine_blocks(
    n: int, k: int, block_vertices: list[np.ndarray], block_colors: list[np.ndarray]
) -> np.ndarray:
    """Merge independently coloured blocks by permuting each block's colours.

    Walks the block-cut tree (breadth-first from the first block of each component);
    a block reached through articulation vertex ``a`` has its colours ``local[a]`` and
    ``final[a]`` swapped, which keeps its cost and makes ``a`` agree. Vertices in no
    block get -1.
    """
    final = np.full(n, -1, dtype=np.int64)
    nb = len(block_vertices)
    if nb == 0:
        return final
    sizes = np.fromiter((len(b) for b in block_vertices), dtype=np.int64, count=nb)
    all_v = np.concatenate(block_vertices)
    all_b = np.repeat(np.arange(nb, dtype=np.int64), sizes)
    all_c = np.concatenate(block_colors).astype(np.int64)
    count = np.bincount(all_v, minlength=n)
    shared = count > 1
    if not shared.any():  # no articulation vertices: blocks are disjoint
        final[all_v] = all_c
        return final
    # (vertex, block, local colour) triples of articulation vertices, grouped by vertex
    sel = shared[all_v]
    av, ab, ac = all_v[sel], all_b[sel], all_c[sel]
    order = np.argsort(av, kind="stable")
    av, ab, ac = av[order].tolist(), ab[order].tolist(), ac[order].tolist()
    start: dict[int, int] = {}
    for i in range(len(av) - 1, -1, -1):
        start[av[i]] = i
    shared_l = shared.tolist()
    count_l = count.tolist()
    visited = [False] * nb
    final_l = final.tolist()
    bv = [b.tolist() for b in block_vertices]
    bc = [c.tolist() for c in block_colors]
    for b0 in range(nb):
        if visited[b0]:
            continue
        visited[b0] = True
        for x, c in zip(bv[b0], bc[b0]):
            final_l[x] = c
        queue = [b0]
        while queue:
            b = queue.pop()
            for x in bv[b]:
                if not shared_l[x]:
                    continue
                fx = final_l[x]
                s = start[x]
                for j in range(s, s + count_l[x]):
                    b2 = ab[j]
                    if visited[b2]:
                        continue
                    visited[b2] = True
                    lc = ac[j]
                    perm = list(range(k))
                    perm[lc], perm[fx] = fx, lc
                    for y, c in zip(bv[b2], bc[b2]):
                        final_l[y] = perm[c]
                    queue.append(b2)
    return np.asarray(final_l, dtype=np.int64)


def color_removed(
    colors: np.ndarray, order: list[int], indptr: np.ndarray, indices: np.ndarray, k: int
) -> None:
    """Colour the removed vertices in reverse removal order with a colour unused by any
    coloured conflict neighbour (always available, see :func:`peel_low_degree`)."""
    if not order:
        return
    col = colors.tolist()
    ip = indptr.tolist()
    ind = indices.tolist()
    for x in reversed(order):
        used = 0
        for i in range(ip[x], ip[x + 1]):
            c = col[ind[i]]
            if c >= 0:
                used |= 1 << c
        c = 0
        while used >> c & 1:
            c += 1
        if c >= k:  # cannot happen for a correct peeling order
            raise AssertionError("low-degree vertex has no free colour")
        col[x] = c
    colors[:] = col
