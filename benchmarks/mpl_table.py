"""Print the decomposition table for the ISCAS (OpenMPL) layouts.

    python benchmarks/mpl_table.py

sim_c1..c5 and the 40,000-rectangle ISCAS mix (``bench_mpl.iscas_40k``) at k = 3
(120 nm) and k = 4 (160 nm), exact and fast solvers, without and with stitches:
patterns, edges, conflicts, stitches, cost, proven optimal, seconds.
"""

import time

try:  # imported by asv as part of the benchmarks package
    from .bench_mpl import iscas_40k, mpl_layout
except ImportError:  # run as a script
    from bench_mpl import iscas_40k, mpl_layout

from litho.multipatterning import decompose


def main() -> None:
    print("| layout | k | space | solver | stitches | patterns | edges | conflicts | stitches used | cost | optimal | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    cases = [(f"sim_c{index}", mpl_layout(index)) for index in range(1, 6)] + [("iscas_40k", iscas_40k())]
    for name, layout in cases:
        for k, space in ((3, 120.0), (4, 160.0)):
            for solver in ("exact", "fast"):
                for stitches in (False, True):
                    start = time.perf_counter()
                    r = decompose(layout, k, space, solver=solver, stitches=stitches)
                    seconds = time.perf_counter() - start
                    print(f"| {name} | {k} | {space:g} | {solver} | {'yes' if stitches else 'no'} | "
                          f"{r.n_patterns} | {r.n_edges} | {r.conflict_count} | {len(r.stitches)} | "
                          f"{r.cost:g} | {'yes' if r.optimal else 'no'} | {seconds:.2f} |", flush=True)


if __name__ == "__main__":
    main()
