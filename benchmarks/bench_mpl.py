"""Multiple-patterning benchmarks (asv).

Targets (issue 4, 2-core CPU): sim_c5 TPL exact without stitches <= 5 s; ~40,000
rectangles <= 60 s exact and <= 3 s fast. The 40,000-rectangle layout
(:func:`iscas_40k`) places all five ISCAS layouts side by side, plus sim_c5 and sim_c3
transposed (x and y swapped, so their conflict structure is laid out differently),
with gaps far beyond the colouring distance: 40,073 rectangles, 21,659 patterns.
"""

from pathlib import Path

import litho
from litho.multipatterning import conflict_graph, decompose

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "mpl"


def mpl_layout(index: int) -> "litho.Layout":
    return litho.Layout.read(DATA / f"sim_c{index}.gds")


def side_by_side(layouts: "list[litho.Layout]", gap: float = 1000.0) -> "litho.Layout":
    """One layout holding the given ones in a row, ``gap`` nm apart."""
    polygons, x = [], 0.0
    for layout in layouts:
        x0, y0, x1, _ = layout.bbox
        polygons.extend(layout.translate(x - x0, -y0).polygons)
        x += x1 - x0 + gap
    return litho.Layout.from_polygons(polygons)


def transposed(layout: "litho.Layout") -> "litho.Layout":
    return litho.Layout.from_polygons([p[:, ::-1] for p in layout.polygons])


def iscas_40k() -> "litho.Layout":
    layouts = [mpl_layout(i) for i in range(1, 6)]
    return side_by_side(layouts + [transposed(layouts[4]), transposed(layouts[2])])


class ConflictGraph:
    def setup(self):
        self.c5 = mpl_layout(5)
        self.big = iscas_40k()

    def time_graph_sim_c5(self):
        conflict_graph(self.c5, 120.0)

    def time_graph_40k(self):
        conflict_graph(self.big, 120.0)


class Decompose:
    timeout = 600
    params = [["exact", "fast"], [False, True]]
    param_names = ["solver", "stitches"]

    def setup(self, solver, stitches):
        self.c5 = mpl_layout(5)
        self.big = iscas_40k()

    def time_tpl_sim_c5(self, solver, stitches):
        decompose(self.c5, 3, 120.0, solver=solver, stitches=stitches)

    def time_tpl_40k(self, solver, stitches):
        decompose(self.big, 3, 120.0, solver=solver, stitches=stitches)

    def time_qpl_40k(self, solver, stitches):
        decompose(self.big, 4, 160.0, solver=solver, stitches=stitches)
