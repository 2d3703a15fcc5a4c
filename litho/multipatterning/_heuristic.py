"""Heuristic colouring of one piece of a decomposition graph.

Used by :mod:`.coloring`. A piece (usually a biconnected block after simplification)
is held as a :class:`PieceGraph` with local vertex ids ``0..n-1``. Cost of a colouring:
the number of conflict edges whose ends share a colour plus ``w`` times the number of
stitch edges whose ends differ.

- :func:`dsatur`: DSATUR order (most distinct colours among coloured conflict
  neighbours, then a coloured stitch partner, then degree), each vertex taking the
  colour of least added cost.
- :class:`LocalSearch`: a strict min-cost descent (recolour single vertices while that
  lowers the cost) and a tabu search (TabuCol-style, on the vertices in a conflict or
  a cut stitch; a random sample of them when there are many) to leave local minima.

Lower bounds, exhaustive search and the integer program are in :mod:`._ilp`.
"""

from __future__ import annotations

import heapq
import itertools
import random

import numpy as np

__all__ = ["LocalSearch", "PieceGraph", "dsatur"]

_EPS = 1e-9


class PieceGraph:
    """A small graph with local ids: conflict edges ``(cu, cv)``, stitch edges ``(su, sv)``."""

    __slots__ = ("cadj", "cu", "cv", "k", "n", "sadj", "su", "sv", "w")

    def __init__(self, n: int, cu: np.ndarray, cv: np.ndarray, su: np.ndarray, sv: np.ndarray,
                 k: int, w: float) -> None:
        self.n = n
        self.k = k
        self.w = w
        self.cu, self.cv, self.su, self.sv = cu, cv, su, sv
        cadj: list[list[int]] = [[] for _ in range(n)]
        for a, b in zip(cu.tolist(), cv.tolist()):
            cadj[a].append(b)
            cadj[b].append(a)
        sadj: list[list[int]] = [[] for _ in range(n)]
        for a, b in zip(su.tolist(), sv.tolist()):
            sadj[a].append(b)
            sadj[b].append(a)
        self.cadj = cadj
        self.sadj = sadj

    def cost(self, col) -> float:
        col = np.asarray(col)
        conflicts = int(np.count_nonzero(col[self.cu] == col[self.cv]))
        stitches = int(np.count_nonzero(col[self.su] != col[self.sv]))
        return conflicts + self.w * stitches


def dsatur(g: PieceGraph, rnd: random.Random | None = None) -> list[int]:
    """DSATUR colouring choosing, for each vertex, the colour of least added cost.

    With ``rnd`` the ties (vertex order and colour choice) are broken at random.
    """
    n, k, w = g.n, g.k, g.w
    cadj, sadj = g.cadj, g.sadj
    col = [-1] * n
    ccnt = [0] * (n * k)
    scnt = [0] * (n * k)
    sdone = [0] * n
    sat = [0] * n
    deg = [len(cadj[x]) + len(sadj[x]) for x in range(n)]
    tie = rnd.sample(range(n), n) if rnd is not None else list(range(n))
    heap = [(0, 0, -deg[x], tie[x], x) for x in range(n)]
    heapq.heapify(heap)
    push = heapq.heappush
    while heap:
        s, st, _, _, x = heapq.heappop(heap)
        if col[x] >= 0 or -s != sat[x] or (st == 0 and sdone[x] > 0):
            continue  # stale entry
        b = x * k
        base = sdone[x]
        best_c = 0
        best = float("inf")
        nties = 0
        for c in range(k):
            val = ccnt[b + c] + w * (base - scnt[b + c])
            if val < best - _EPS:
                best, best_c, nties = val, c, 1
            elif rnd is not None and val <= best + _EPS:
                nties += 1
                if rnd.random() * nties < 1.0:
                    best_c = c
        col[x] = best_c
        for y in cadj[x]:
            if col[y] < 0:
                i = y * k + best_c
                ccnt[i] += 1
                if ccnt[i] == 1:
                    sat[y] += 1
                    push(heap, (-sat[y], -1 if sdone[y] else 0, -deg[y], tie[y], y))
        for y in sadj[x]:
            if col[y] < 0:
                scnt[y * k + best_c] += 1
                sdone[y] += 1
                if sdone[y] == 1:
                    push(heap, (-sat[y], -1, -deg[y], tie[y], y))
    return col


class LocalSearch:
    """Incremental colour-count state of a colouring, with descent and tabu moves.

    ``ccnt[x*k + c]`` counts conflict neighbours of ``x`` with colour ``c``, ``scnt`` the
    same for stitch neighbours; moving ``x`` to ``c`` changes the cost by
    ``val(x, c) - val(x, col[x])`` with ``val(x, c) = ccnt[x*k+c] - w*scnt[x*k+c]``.
    """

    def __init__(self, g: PieceGraph, col: list[int]) -> None:
        self.g = g
        n, k = g.n, g.k
        self.col = list(col)
        ccnt = [0] * (n * k)
        scnt = [0] * (n * k)
        for x in range(n):
            b = x * k
            for y in g.cadj[x]:
                ccnt[b + col[y]] += 1
            for y in g.sadj[x]:
                scnt[b + col[y]] += 1
        self.ccnt, self.scnt = ccnt, scnt
        self.sdeg = [len(a) for a in g.sadj]
        self.cost = g.cost(col)

    def _bad(self, x: int) -> bool:
        i = x * self.g.k + self.col[x]
        return self.ccnt[i] > 0 or self.scnt[i] < self.sdeg[x]

    def _move(self, x: int, c: int) -> None:
        g, k = self.g, self.g.k
        c0 = self.col[x]
        self.col[x] = c
        ccnt, scnt = self.ccnt, self.scnt
        for y in g.cadj[x]:
            ccnt[y * k + c0] -= 1
            ccnt[y * k + c] += 1
        for y in g.sadj[x]:
            scnt[y * k + c0] -= 1
            scnt[y * k + c] += 1

    def descent(self) -> float:
        """Recolour single vertices to their least-cost colour while that lowers the cost."""
        g, k, w = self.g, self.g.k, self.g.w
        ccnt, scnt, col = self.ccnt, self.scnt, self.col
        work = [x for x in range(g.n) if self._bad(x)]
        inq = [False] * g.n
        for x in work:
            inq[x] = True
        while work:
            x = work.pop()
            inq[x] = False
            c0 = col[x]
            b = x * k
            cur = ccnt[b + c0] - w * scnt[b + c0]
            bestv, best = cur, c0
            for c in range(k):
                v = ccnt[b + c] - w * scnt[b + c]
                if v < bestv - _EPS:
                    bestv, best = v, c
            if best != c0:
                self._move(x, best)
                self.cost += bestv - cur
                for y in itertools.chain(g.cadj[x], g.sadj[x]):
                    if not inq[y]:
                        inq[y] = True
                        work.append(y)
        self.cost = g.cost(col)  # re-sync (no float drift)
        return self.cost

    def tabu(self, max_iter: int, target: float, rnd: random.Random,
             stall: int | None = None) -> tuple[list[int], float]:
        """Tabu search from the current colouring; returns the best colouring seen.

        Moves recolour a vertex that is in a conflict or a cut stitch (a random sample of
        ``sample`` of them when there are more, to bound the work per move); the reverse
        move is tabu for ``0.6 * |bad| + rand(10)`` iterations unless it gives a new
        best. Stops after ``max_iter`` iterations, after ``stall`` iterations without a
        new best, or when the best cost reaches ``target``.
        """
        sample = 64
        stall = max_iter if stall is None else stall
        last = 0
        g, k, w = self.g, self.g.k, self.g.w
        ccnt, scnt, col = self.ccnt, self.scnt, self.col
        best_cost = self.cost
        best_col = col[:]
        if best_cost <= target + _EPS:
            return best_col, best_cost
        cost = self.cost
        tabu_until = [0] * (g.n * k)
        bad = [x for x in range(g.n) if self._bad(x)]  # indexed set: list + positions
        pos = {x: i for i, x in enumerate(bad)}
        for it in range(1, max_iter + 1):
            if not bad or it - last > stall:
                break
            bestd = float("inf")
            mx = mc = -1
            nties = 0
            for x in (bad if len(bad) <= sample else rnd.sample(bad, sample)):
                c0 = col[x]
                b = x * k
                cur = ccnt[b + c0] - w * scnt[b + c0]
                for c in range(k):
                    if c == c0:
                        continue
                    d = ccnt[b + c] - w * scnt[b + c] - cur
                    if tabu_until[b + c] > it and cost + d >= best_cost - _EPS:
                        continue
                    if d < bestd - _EPS:
                        bestd, mx, mc, nties = d, x, c, 1
                    elif d <= bestd + _EPS:
                        nties += 1
                        if rnd.random() * nties < 1.0:
                            mx, mc = x, c
            if mx < 0:
                continue
            c0 = col[mx]
            self._move(mx, mc)
            cost += bestd
            tabu_until[mx * k + c0] = it + int(0.6 * len(bad)) + rnd.randrange(10)
            for y in itertools.chain((mx,), g.cadj[mx], g.sadj[mx]):
                if self._bad(y):
                    if y not in pos:
                        pos[y] = len(bad)
                        bad.append(y)
                elif y in pos:
                    i = pos.pop(y)
                    last_y = bad.pop()
                    if i < len(bad):
                        bad[i] = last_y
                        pos[last_y] = i
            if cost < best_cost - _EPS:
                best_cost = g.cost(col)
                cost = best_cost
                best_col = col[:]
                last = it
                if best_cost <= target + _EPS:
                    break
        return best_col, best_cost
