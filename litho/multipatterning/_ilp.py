"""Exact colouring of one piece: exhaustive search (tiny pieces) and an integer program.

Used by :mod:`.coloring`. The integer program (solved by HiGHS through
:func:`scipy.optimize.milp`) is the formulation of the decomposition literature:

- binary ``x[v, c]`` (vertex ``v`` has colour ``c``), ``sum_c x[v, c] = 1``;
- per conflict edge ``e = (u, v)``: ``y_e >= x[u, c] + x[v, c] - 1`` for every ``c``;
- per stitch edge ``e = (u, v)``: ``z_e >= x[u, c] - x[v, c]`` and
  ``z_e >= x[v, c] - x[u, c]`` for every ``c``;
- minimise ``sum y + w * sum z``.

All variables are binary. (``y`` and ``z`` could be continuous in ``[0, 1]`` -- at
integral ``x`` they take 0/1 values anyway -- but then HiGHS cannot see that the
objective only takes values ``a + w*b`` and must close the gap to zero instead of
pruning nodes whose bound is within one step of the incumbent: 2-4x slower on
measured blocks.) Added valid inequalities:

- symmetry breaking: for distinct vertices ``v_0, ..., v_{k-2}`` (highest degree first,
  then its neighbours), ``x[v_i, c] = 0`` for ``c > i``. Valid because relabelling the
  colours in order of first appearance along ``v_0, v_1, ...`` (a permutation, which
  keeps the cost) gives ``v_i`` a colour ``<= i``;
- forcing-structure cuts (see :func:`forcing_structures`): a set ``S`` of conflict
  edges whose subgraph is not ``k``-colourable has at least ``f_S`` same-colour edges,
  ``sum_{e in S} y_e >= f_S`` (``(k+1)``-cliques, odd cycles for ``k = 2``, odd
  wheels for ``k = 3``, larger cliques); these lift the otherwise weak LP bound
  (0 at ``x = 1/k``); with stitches also "a conflict or a stitch" cuts, see
  :class:`Cuts`;
- an objective cut ``cost <= upper bound`` from the heuristic, which lets HiGHS prune.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_matrix

from ._heuristic import PieceGraph

__all__ = [
    "EXHAUSTIVE_LIMIT",
    "Cuts",
    "clique_need",
    "exhaustive",
    "exhaustive_feasible",
    "forcing_structures",
    "lp_bound",
    "quick_bound",
    "round_up_cost",
    "solve_milp",
]

#: Largest number of assignments (``k ** (n - 1)``) enumerated by :func:`exhaustive`.
EXHAUSTIVE_LIMIT = 1 << 16


def exhaustive_feasible(n: int, k: int) -> bool:
    return n <= 1 or (n - 1) * np.log2(k) <= np.log2(EXHAUSTIVE_LIMIT)


def exhaustive(g: PieceGraph) -> tuple[np.ndarray, float]:
    """Minimum-cost colouring by enumerating all ``k ** (n-1)`` colourings (vertex 0 fixed
    to colour 0, valid by colour-permutation symmetry)."""
    n, k = g.n, g.k
    if n <= 1:
        return np.zeros(n, dtype=np.int64), 0.0
    total = k ** (n - 1)
    codes = np.arange(total, dtype=np.int64)
    a = np.zeros((n, total), dtype=np.int8)
    for j in range(1, n):
        a[j] = (codes // k ** (j - 1)) % k
    conflicts = np.zeros(total, dtype=np.int32)
    for u, v in zip(g.cu.tolist(), g.cv.tolist()):
        conflicts += a[u] == a[v]
    stitches = np.zeros(total, dtype=np.int32)
    for u, v in zip(g.su.tolist(), g.sv.tolist()):
        stitches += a[u] != a[v]
    cost = conflicts + g.w * stitches
    i = int(np.argmin(cost))
    return a[:, i].astype(np.int64), float(cost[i])


# --------------------------------------------------------------------------- bounds
#
# A "forcing structure" is a set of conflict edges whose subgraph has no proper
# k-colouring, so every colouring makes at least ``f`` of its edges same-coloured:
# ``sum_{e in S} y_e >= f`` is valid. Used as cuts in the integer program and, through
# the LP ``min sum y  s.t.  sum_{e in S} y_e >= f_S, 0 <= y <= 1``, as a proven lower
# bound on the number of conflicts (rounded up: conflicts are integers; stitches only
# add cost). Families: odd cycles (need 3 colours); a hub adjacent to every vertex of a
# structure needing j colours needs j + 1 (odd wheels, K4 = hub over a triangle, ...);
# and cliques of s > k + 1 vertices, which need f(s, k) = the same-colour pairs of the
# most balanced split of s vertices into k classes.


class _Full(Exception):
    pass


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _odd_cycles(cand: set[int], adj: list[set[int]], out: dict, extra: tuple, hubs: tuple,
                limit: int, max_roots: int = 24, forest: bool = False) -> None:
    """Odd cycles of the subgraph induced on ``cand`` (one per same-depth BFS edge, BFS
    from up to ``max_roots`` roots spread over ``cand``; with ``forest``, one BFS per
    connected component), each stored with the ``extra`` edges and the spokes from
    ``hubs``."""
    roots = sorted(cand)
    if len(roots) > max_roots and not forest:
        roots = roots[:: -(-len(roots) // max_roots)]
    seen: set[int] = set()
    for root in roots:
        if root in seen:
            continue
        depth = {root: 0}
        parent = {root: -1}
        frontier = [root]
        while frontier:
            nxt = []
            for x in frontier:
                dx = depth[x]
                for y in adj[x]:
                    if y not in cand:
                        continue
                    dy = depth.get(y)
                    if dy is None:
                        depth[y] = dx + 1
                        parent[y] = x
                        nxt.append(y)
                    elif dy == dx and x < y:
                        edges = {(x, y)}
                        verts = {x, y}
                        a, b = x, y
                        while a != b:
                            edges.add(_pair(a, parent[a]))
                            edges.add(_pair(b, parent[b]))
                            a, b = parent[a], parent[b]
                            verts.add(a)
                            verts.add(b)
                        edges.update(extra)
                        for h in hubs:
                            edges.update(_pair(h, v) for v in verts)
                        key = frozenset(edges)
                        if key not in out:
                            out[key] = 1
                            if len(out) >= limit:
                                raise _Full
            frontier = nxt
        if forest:
            seen.update(depth)


def clique_need(s: int, k: int) -> int:
    """Minimum number of same-colour pairs when ``s`` mutually adjacent vertices get ``k`` colours."""
    q, r = divmod(s, k)
    return r * (q + 1) * q // 2 + (k - r) * q * (q - 1) // 2


def _maximal_cliques(adj: list[set[int]], min_size: int, limit: int) -> list[list[int]]:
    out: list[list[int]] = []

    def bk(r: list[int], p: set[int], x: set[int]) -> None:
        if not p:
            if not x and len(r) >= min_size:
                out.append(r)
                if len(out) >= limit:
                    raise _Full
            return
        if len(r) + len(p) < min_size:
            return
        u = max(p | x, key=lambda v: len(adj[v] & p))
        for v in sorted(p - adj[u]):
            bk(r + [v], p & adj[v], x & adj[v])
            p.discard(v)
            x.add(v)

    try:
        bk([], {v for v in range(len(adj)) if len(adj[v]) >= min_size - 1}, set())
    except _Full:
        pass
    return out


def forcing_structures(g: PieceGraph, limit: int = 4000) -> dict:
    """Forcing structures of the piece: ``{frozenset of (a, b) conflict pairs: f}``."""
    k = g.k
    adj = [set(a) for a in g.cadj]
    out: dict = {}

    def rec(cand: set[int], level: int, hubs: tuple, extra: tuple) -> None:
        # find structures in the subgraph on ``cand`` needing more than ``level`` colours
        if level == 2:
            _odd_cycles(cand, adj, out, extra, hubs, limit, 4 if hubs else 24)
            return
        for h in sorted(cand):
            sub = cand & adj[h]
            sub = {x for x in sub if len(adj[x] & sub) >= level - 1}
            if len(sub) >= level:
                rec(sub, level - 1, hubs + (h,), extra + tuple(_pair(h, o) for o in hubs))

    try:
        rec(set(range(g.n)), k, (), ())
    except _Full:
        pass
    for cl in _maximal_cliques(adj, k + 2, limit):
        out[frozenset(itertools.combinations(sorted(cl), 2))] = clique_need(len(cl), k)
    return out


class Cuts:
    """Valid inequalities ``sum_{e in C} y_e + f * sum_{s in S} z_s >= f`` of a piece.

    ``matrix`` has one row per cut over the variables ``(y_0..y_{mc-1}, z_0..z_{ms-1})``.
    Built from forcing structures of the conflict graph and of the graph whose
    stitch-connected vertex groups are contracted: if none of the stitch edges joining
    a structure's endpoints inside each group is cut, every group is one colour and the
    structure needs ``f`` conflicts; if one is cut, ``f * z >= f`` already. Without stitches (or with ``w = 0``, when
    stitches are free and ignored here) this is the plain structure cut.
    """

    def __init__(self, g: PieceGraph, limit: int = 4000) -> None:
        mc, ms = len(g.cu), len(g.su)
        use_stitch = g.w > 0 and ms > 0
        self.n_vars = mc + (ms if use_stitch else 0)
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        rhs: list[float] = []
        # structures of the conflict graph itself (valid whatever the stitches) ...
        index = {p: i for i, p in enumerate(zip(g.cu.tolist(), g.cv.tolist()))}
        for j, (edges, f) in enumerate(forcing_structures(g, limit).items()):
            rows += [j] * len(edges)
            cols += [index[p] for p in edges]
            vals += [1.0] * len(edges)
            rhs.append(f)
        if use_stitch:  # ... and of the graph with stitch groups contracted
            self._contracted(g, limit, rows, cols, vals, rhs)
        self.rhs = np.asarray(rhs, dtype=float)
        self.matrix = coo_matrix((np.asarray(vals, dtype=float),
                                  (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
                                 shape=(len(rhs), self.n_vars)).tocsr()

    def __len__(self) -> int:
        return len(self.rhs)

    @staticmethod
    def _contracted(g: PieceGraph, limit: int, rows: list, cols: list, vals: list,
                    rhs: list) -> None:
        n, mc = g.n, len(g.cu)
        su, sv = g.su.tolist(), g.sv.tolist()
        # stitch components, each with a BFS tree (parent vertex and parent stitch edge)
        sadj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(su, sv)):
            sadj[a].append((b, i))
            sadj[b].append((a, i))
        comp = [-1] * n
        parent = [-1] * n
        pedge = [-1] * n
        nh = 0
        for r in range(n):
            if comp[r] >= 0:
                continue
            comp[r] = nh
            queue = [r]
            for x in queue:
                for y, i in sadj[x]:
                    if comp[y] < 0:
                        comp[y] = nh
                        parent[y] = x
                        pedge[y] = i
                        queue.append(y)
            nh += 1

        def tree_edges(vs: set[int]) -> list[int]:
            """Stitch edges of the smallest subtree of the BFS tree joining ``vs``."""
            if len(vs) < 2:
                return []
            count: dict[int, int] = {}
            for v in vs:
                while parent[v] >= 0:
                    count[pedge[v]] = count.get(pedge[v], 0) + 1
                    v = parent[v]
            return [e for e, c in count.items() if c < len(vs)]

        rep: dict[tuple[int, int], int] = {}
        j = len(rhs)
        for e, (a, b) in enumerate(zip(g.cu.tolist(), g.cv.tolist())):
            ca, cb = comp[a], comp[b]
            if ca == cb:  # a conflict inside a stitch group: the conflict or a stitch
                st = tree_edges({a, b})
                rows += [j] * (1 + len(st))
                cols += [e] + [mc + i for i in st]
                vals += [1.0] * (1 + len(st))
                rhs.append(1.0)
                j += 1
            else:
                rep.setdefault((ca, cb) if ca < cb else (cb, ca), e)
        if not rep:
            return
        pairs = list(rep)
        hu = np.asarray([p[0] for p in pairs], dtype=np.int64)
        hv = np.asarray([p[1] for p in pairs], dtype=np.int64)
        empty = np.zeros(0, dtype=np.int64)
        h = PieceGraph(nh, hu, hv, empty, empty, g.k, g.w)
        cu, cv = g.cu.tolist(), g.cv.tolist()
        for edges, f in forcing_structures(h, limit).items():
            conf = [rep[p] for p in edges]
            ends: dict[int, set[int]] = {}
            for e in conf:
                ends.setdefault(comp[cu[e]], set()).add(cu[e])
                ends.setdefault(comp[cv[e]], set()).add(cv[e])
            st = [i for vs in ends.values() for i in tree_edges(vs)]
            rows += [j] * (len(conf) + len(st))
            cols += conf + [mc + i for i in st]
            vals += [1.0] * len(conf) + [float(f)] * len(st)
            rhs.append(float(f))
            j += 1


def round_up_cost(v: float, w: float, max_stitches: int) -> float:
    """Smallest ``a + w*b`` (integers ``a >= 0``, ``0 <= b <= max_stitches``) that is
    ``>= v`` (less a small tolerance): every colouring's cost has that form, so a real
    lower bound ``v`` rounds up to this one."""
    v -= 1e-7
    if v <= 0:
        return 0.0
    top = int(np.ceil(v))
    if w <= 0 or max_stitches == 0:
        return float(top)
    best = float(top)
    for a in range(top):
        b = max(0, int(np.ceil((v - a) / w - 1e-9)))
        if b <= max_stitches:
            best = min(best, a + w * b)
    return best


def lp_bound(g: PieceGraph, cuts: Cuts) -> float:
    """Proven lower bound on the piece's cost: ``min sum y + w sum z`` over the cuts
    (LP relaxation, ``0 <= y, z <= 1``), rounded up to an attainable cost."""
    if len(cuts) == 0:
        return 0.0
    mc = len(g.cu)
    c = np.full(cuts.n_vars, g.w)
    c[:mc] = 1.0
    res = linprog(c, A_ub=-cuts.matrix, b_ub=-cuts.rhs, bounds=(0, 1), method="highs")
    if res.status != 0:
        return 0.0
    return round_up_cost(float(res.fun), g.w, len(g.su))


def quick_bound(g: PieceGraph) -> int:
    """A cheap proven lower bound: greedily packed edge-disjoint ``(k+1)``-cliques (and,
    for ``k = 2``, odd cycles), each of which needs a same-colour edge of its own."""
    adj = [set(a) for a in g.cadj]
    n, k = g.n, g.k
    if k == 2:
        # passes of one BFS per component: keep the edge-disjoint cycles (shortest first)
        # among those found, delete their edges, repeat until the rest is bipartite
        found = 0
        alive = set(range(n))
        while True:
            out: dict = {}
            _odd_cycles(alive, adj, out, (), (), 1 << 62, forest=True)
            if not out:
                return found
            used: set[tuple[int, int]] = set()
            for cyc in sorted(out, key=len):
                if used.isdisjoint(cyc):
                    used.update(cyc)
                    found += 1
            for a, b in used:
                adj[a].discard(b)
                adj[b].discard(a)
            alive = {v for v in alive if adj[v]}
    found = 0
    s = k + 1
    ok = [len(a) >= s - 1 for a in adj]
    higher = [{y for y in adj[x] if y > x and ok[y]} if ok[x] else set() for x in range(n)]

    def find(clique: tuple[int, ...], cand: set[int]) -> tuple[int, ...] | None:
        if len(clique) == s:
            return clique
        for y in sorted(cand):
            nxt = cand & higher[y]
            if len(nxt) >= s - len(clique) - 1:
                r = find(clique + (y,), nxt)
                if r is not None:
                    return r
        return None

    for x in range(n):
        while len(higher[x]) >= s - 1:
            cl = find((x,), higher[x])
            if cl is None:
                break
            for a, b in itertools.combinations(cl, 2):  # a < b: remove the edge
                higher[a].discard(b)
            found += 1
    return found


def _symmetry_vertices(g: PieceGraph) -> list[int]:
    """Up to ``k-1`` distinct vertices, the highest-degree one first, then neighbours."""
    deg = [len(a) for a in g.cadj]
    chosen = [max(range(g.n), key=deg.__getitem__)]
    while len(chosen) < min(g.k - 1, g.n):
        cand = {y for x in chosen for y in g.cadj[x]} - set(chosen)
        if not cand:
            cand = set(range(g.n)) - set(chosen)
        # prefer vertices adjacent to all chosen ones (a clique), then high degree
        chosen.append(max(cand, key=lambda y: (sum(y in g.cadj[x] for x in chosen), deg[y], -y)))
    return chosen


def solve_milp(
    g: PieceGraph,
    upper_bound: float | None,
    cuts: Cuts | None,
    time_limit: float | None,
) -> dict:
    """Solve the piece's integer program.

    Returns
    -------
    dict with ``colors`` (ndarray or None when no solution was found), ``optimal``
    (bool), ``bound`` (proven lower bound on the piece's cost), ``status``,
    ``seconds``, ``nodes``.
    """
    t0 = time.perf_counter()
    n, k, w = g.n, g.k, g.w
    mc = len(g.cu)
    use_stitch = w > 0 and len(g.su) > 0
    ms = len(g.su) if use_stitch else 0
    nx = n * k
    nvar = nx + mc + ms
    cobj = np.zeros(nvar)
    cobj[nx:nx + mc] = 1.0
    cobj[nx + mc:] = w

    rows, cols, vals = [], [], []
    lo, hi = [], []
    r0 = 0
    # assignment: sum_c x[v, c] = 1
    rows.append(np.repeat(np.arange(n), k))
    cols.append(np.arange(nx))
    vals.append(np.ones(nx))
    lo.append(np.ones(n))
    hi.append(np.ones(n))
    r0 += n
    kk = np.arange(k)
    if mc:
        e = np.repeat(np.arange(mc), k)
        c = np.tile(kk, mc)
        r = r0 + np.arange(mc * k)
        rows += [r, r, r]
        cols += [g.cu[e] * k + c, g.cv[e] * k + c, nx + e]
        vals += [np.ones(mc * k), np.ones(mc * k), -np.ones(mc * k)]
        lo.append(np.full(mc * k, -np.inf))
        hi.append(np.ones(mc * k))
        r0 += mc * k
    if ms:
        e = np.repeat(np.arange(ms), k)
        c = np.tile(kk, ms)
        for a, b in ((g.su, g.sv), (g.sv, g.su)):
            r = r0 + np.arange(ms * k)
            rows += [r, r, r]
            cols += [a[e] * k + c, b[e] * k + c, nx + mc + e]
            vals += [np.ones(ms * k), -np.ones(ms * k), -np.ones(ms * k)]
            lo.append(np.full(ms * k, -np.inf))
            hi.append(np.zeros(ms * k))
            r0 += ms * k
    if cuts is not None and len(cuts):
        cm = cuts.matrix.tocoo()
        rows.append(r0 + cm.row)
        cols.append(nx + cm.col)
        vals.append(cm.data)
        lo.append(cuts.rhs)
        hi.append(np.full(len(cuts), np.inf))
        r0 += len(cuts)
    if upper_bound is not None and mc + ms:
        r = np.full(mc + ms, r0)
        rows.append(r)
        cols.append(np.arange(nx, nvar))
        vals.append(cobj[nx:])
        lo.append(np.array([-np.inf]))
        hi.append(np.array([upper_bound + 1e-6]))
        r0 += 1
    a = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r0, nvar)
    ).tocsr()
    constraints = LinearConstraint(a, np.concatenate(lo), np.concatenate(hi))

    ub = np.ones(nvar)
    for i, x in enumerate(_symmetry_vertices(g)):
        ub[x * k + i + 1:(x + 1) * k] = 0.0
    bounds = Bounds(np.zeros(nvar), ub)
    integrality = np.ones(nvar)
    options: dict = {"mip_rel_gap": 1e-9, "presolve": True}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 1e-3)
    res = milp(cobj, integrality=integrality, bounds=bounds, constraints=constraints,
               options=options)
    colors = None
    if res.x is not None:
        colors = np.argmax(res.x[:nx].reshape(n, k), axis=1).astype(np.int64)
    optimal = res.status == 0 and colors is not None
    bound = getattr(res, "mip_dual_bound", None)
    if bound is None or not np.isfinite(bound):
        bound = float(res.fun) if optimal else 0.0
    return {
        "colors": colors,
        "optimal": bool(optimal),
        "bound": float(bound),
        "status": int(res.status),
        "seconds": time.perf_counter() - t0,
        "nodes": getattr(res, "mip_node_count", None),
    }
