"""Layout.read / Layout.write: GDSII, OASIS and GLP files, errors, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import gdstk
import numpy as np
import pytest
import shapely

from litho._atomic import atomic_path
from litho.errors import InvalidParameterError, LayoutError
from litho.geometry import gds_io
from litho.geometry.glp_io import default_layer_numbers, read_glp
from litho.geometry.layout import Layout

ROOT = Path(__file__).resolve().parents[2]
MPL = ROOT / "tests" / "data" / "mpl"
SIM_C1 = MPL / "sim_c1.gds"
CLIPS = ROOT / "litho" / "datasets" / "iccad2013" / "clips"
CLIP_FILES = sorted(CLIPS.glob("M1_test*.glp"))


def canonical(layout: Layout) -> list:
    """Polygons as sorted (layer, vertex cycle) tuples, independent of start vertex and orientation."""
    out = []
    for poly, layer in zip(layout.polygons, layout.layers.tolist()):
        pts = [tuple(p) for p in poly.tolist()]
        forms = []
        for seq in (pts, pts[::-1]):
            i = seq.index(min(seq))
            forms.append(tuple(seq[i:] + seq[:i]))
        out.append((tuple(layer), min(forms)))
    return sorted(out)


def mixed_layout() -> Layout:
    """Non-Manhattan polygons on several layers, coordinates on the 1 pm grid."""
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    octagon = np.round(np.c_[np.cos(angles), np.sin(angles)] * 50.3, 3)
    triangle = [[0, 0], [10, 0], [3, 7.5]]
    trapezoid = [[0, 0], [4, 0], [6, 3], [-2, 3]]
    l_shape = [[100, 100], [140, 100], [140, 110], [110, 110], [110, 160], [100, 160]]
    return Layout([octagon, triangle, trapezoid, l_shape], layers=[[1, 0], [2, 5], [7, 3], [7, 3]])


# -- GDSII --------------------------------------------------------------------------------


def test_read_sim_c1():
    layout = Layout.read(SIM_C1)
    assert len(layout) == 2034
    assert layout.layers.tolist() == [[1, 0]] * 2034
    assert all(p.shape == (4, 2) for p in layout.polygons)
    assert layout.is_manhattan
    xy = np.concatenate(layout.polygons)
    # database unit 1 nm and user unit 1 um: in nm every coordinate is a whole number
    assert np.array_equal(xy, np.round(xy))
    x0, y0, x1, y1 = layout.bbox
    assert 1_000 < x1 - x0 < 100_000 and 1_000 < y1 - y0 < 100_000  # a ~10 um clip, not 0.01 um or 10 mm
    assert Layout.read(str(SIM_C1), layer=(1, 0), cell="debug").area() == layout.area()


def test_read_layer_filter():
    with pytest.raises(LayoutError, match=r"sim_c1\.gds.*\(101, 0\) not found.*\(1, 0\)"):
        Layout.read(SIM_C1, layer=(101, 0))
    layout = Layout.read(MPL / "sim_c2.gds", layer=(101, 0))
    assert len(layout) > 0 and set(map(tuple, layout.layers.tolist())) == {(101, 0)}
    with pytest.raises(InvalidParameterError, match="layer"):
        Layout.read(SIM_C1, layer="M1")  # names exist only in GLP files


def test_read_missing_cell():
    with pytest.raises(LayoutError, match=r"sim_c1\.gds: no cell named 'nope'.*'debug'"):
        Layout.read(SIM_C1, cell="nope")


def _two_top_cells(path: Path) -> None:
    lib = gdstk.Library(unit=1e-6, precision=1e-9)  # user unit um: Layout.read must still give nm
    child = lib.new_cell("CHILD")
    child.add(gdstk.rectangle((0, 0), (0.1, 0.05), layer=2))
    top = lib.new_cell("TOP_A")
    top.add(gdstk.Reference(child, (1, 1), columns=3, rows=2, spacing=(0.2, 0.3)))
    top.add(gdstk.FlexPath([(0, -1), (0.5, -1)], 0.02, layer=3))
    other = lib.new_cell("TOP_B")
    other.add(gdstk.rectangle((0, 0), (1, 1)))
    lib.write_gds(str(path))


def test_read_flattens_references_and_paths_and_picks_cells(tmp_path):
    path = tmp_path / "two.gds"
    _two_top_cells(path)
    with pytest.raises(LayoutError, match=r"two\.gds: the file has 2 top-level cells \('TOP_A', 'TOP_B'\).*cell="):
        Layout.read(path)
    layout = Layout.read(path, cell="TOP_A")
    assert len(layout) == 3 * 2 + 1  # a 3 x 2 array of the child's rectangle, and one path
    rects = layout.select((2, 0))
    assert len(rects) == 6
    assert rects.area() == pytest.approx(6 * 100 * 50, rel=1e-12)  # 100 x 50 nm each; exact on the 1 nm grid
    assert rects.bbox == (1000.0, 1000.0, 1500.0, 1350.0)  # um in the file, nm here
    path_poly = layout.select((3, 0))
    assert path_poly.bbox == (0.0, -1010.0, 500.0, -990.0)
    assert len(Layout.read(path, cell="TOP_B")) == 1


def test_gds_oasis_gds_round_trip_sim_c1(tmp_path):
    original = Layout.read(SIM_C1)
    original.write(tmp_path / "a.oas")
    via_oasis = Layout.read(tmp_path / "a.oas")
    via_oasis.write(tmp_path / "b.gds")
    back = Layout.read(tmp_path / "b.gds")
    assert canonical(back) == canonical(via_oasis) == canonical(original)  # exact: integer nm


def test_round_trip_non_manhattan_several_layers(tmp_path):
    original = mixed_layout()
    assert not original.is_manhattan
    original.write(tmp_path / "m.oas")
    via_oasis = Layout.read(tmp_path / "m.oas")
    via_oasis.write(tmp_path / "m.gds")
    back = Layout.read(tmp_path / "m.gds")
    # exact: every coordinate is on the 1 pm database grid, and reading snaps to that grid
    assert canonical(via_oasis) == canonical(original)
    assert canonical(back) == canonical(original)


def test_write_with_micron_user_unit(tmp_path):
    original = mixed_layout()
    original.write(tmp_path / "um.gds", unit=1e-6, precision=1e-12)
    assert gdstk.read_gds(str(tmp_path / "um.gds")).unit == pytest.approx(1e-6, rel=1e-12)
    assert canonical(Layout.read(tmp_path / "um.gds")) == canonical(original)  # on the 1 pm grid: exact


def test_write_rounds_to_precision(tmp_path):
    Layout([[[0, 0], [10.4, 0], [10.4, 7.6]]]).write(tmp_path / "r.gds", precision=1e-9)
    assert Layout.read(tmp_path / "r.gds").polygons[0].tolist() == [[0, 0], [10, 0], [10, 8]]


def test_write_rejects_coordinates_beyond_int32(tmp_path):
    big = Layout.from_rects([[0, 0, 3e6, 10]])  # 3 mm = 3e9 pm > 2**31 - 1
    with pytest.raises(InvalidParameterError, match=r"precision.*coarser.*32-bit"):
        big.write(tmp_path / "big.gds")
    assert not (tmp_path / "big.gds").exists()
    big.write(tmp_path / "big.gds", precision=1e-9)
    assert Layout.read(tmp_path / "big.gds").bbox == (0.0, 0.0, 3e6, 10.0)
    big.write(tmp_path / "big.oas")  # OASIS integers are not limited to 32 bits
    assert Layout.read(tmp_path / "big.oas").bbox == (0.0, 0.0, 3e6, 10.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"unit": 1e-9, "precision": 3e-10}, "precision"),  # does not divide the unit
        ({"unit": 1e-9, "precision": 1e-6}, "precision"),  # coarser than the unit
        ({"unit": -1.0}, "unit"),
        ({"cell": ""}, "cell"),
        ({"cell": "has space"}, "cell"),
    ],
)
def test_write_rejects_bad_parameters(tmp_path, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        mixed_layout().write(tmp_path / "x.gds", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_write_names_the_cell(tmp_path):
    mixed_layout().write(tmp_path / "c.gds", cell="CLIP_7")
    assert [c.name for c in gdstk.read_gds(str(tmp_path / "c.gds")).cells] == ["CLIP_7"]
    assert len(Layout.read(tmp_path / "c.gds", cell="CLIP_7")) == 4


def test_degenerate_polygons_in_a_file_are_dropped_with_a_warning(tmp_path):
    lib = gdstk.Library(unit=1e-9, precision=1e-9)
    cell = lib.new_cell("TOP")
    cell.add(gdstk.rectangle((0, 0), (10, 10)), gdstk.Polygon([(0, 0), (5, 0), (0, 0)]))
    lib.write_gds(str(tmp_path / "degenerate.gds"))
    with pytest.warns(UserWarning, match=r"degenerate\.gds: dropped 1 degenerate polygon"):
        layout = Layout.read(tmp_path / "degenerate.gds")
    assert len(layout) == 1 and layout.area() == 100


# -- bad files ----------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(LayoutError, match=r"nothere\.gds: no such file"):
        Layout.read(tmp_path / "nothere.gds")


def test_truncated_gds(tmp_path):
    path = tmp_path / "half.gds"
    data = SIM_C1.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LayoutError, match=rf"half\.gds: truncated GDSII file: .*\({len(data) // 2} bytes\)"):
        Layout.read(path)


def test_truncated_gds_at_record_boundary(tmp_path):
    path = tmp_path / "cut.gds"
    path.write_bytes(SIM_C1.read_bytes()[:162])  # byte 162 ends the first BOUNDARY's XY record: no ENDLIB
    with pytest.raises(LayoutError, match=r"cut\.gds: truncated GDSII file: no ENDLIB"):
        Layout.read(path)


def test_junk_and_empty_gds(tmp_path):
    junk = tmp_path / "junk.gds"
    junk.write_bytes(b"this is not a layout file\n" * 20)
    with pytest.raises(LayoutError, match=r"junk\.gds: not a GDSII file \(first record is not HEADER\)"):
        Layout.read(junk)
    empty = tmp_path / "empty.gds"
    empty.write_bytes(b"")
    with pytest.raises(LayoutError, match=r"empty\.gds: empty file"):
        Layout.read(empty)
    bad_length = tmp_path / "badlen.gds"
    bad_length.write_bytes(SIM_C1.read_bytes()[:6] + b"\x00\x03\x01\x02" + b"\x00" * 40)
    with pytest.raises(LayoutError, match=r"badlen\.gds: corrupt GDSII file: record at byte 6 has an invalid length"):
        Layout.read(bad_length)


def test_bad_oasis(tmp_path):
    junk = tmp_path / "junk.oas"
    junk.write_bytes(SIM_C1.read_bytes()[:200])
    with pytest.raises(LayoutError, match=r"junk\.oas: not an OASIS file"):
        Layout.read(junk)
    good = tmp_path / "good.oas"
    Layout.read(SIM_C1).write(good)
    cut = tmp_path / "cut.oas"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(LayoutError, match=r"cut\.oas: corrupt OASIS file"):
        Layout.read(cut)


def test_unknown_extension(tmp_path):
    path = tmp_path / "layout.dxf"
    path.write_text("0\nSECTION\n")
    with pytest.raises(LayoutError, match=r"layout\.dxf: unsupported file extension '\.dxf'.*\.gds.*\.oas.*\.glp"):
        Layout.read(path)
    with pytest.raises(LayoutError, match="unsupported file extension"):
        mixed_layout().write(tmp_path / "out.svg")


def test_directory_is_not_a_layout(tmp_path):
    folder = tmp_path / "dir.gds"
    folder.mkdir()
    with pytest.raises(LayoutError, match=r"dir\.gds: is a directory"):
        Layout.read(folder)


# -- GLP ----------------------------------------------------------------------------------


def _shape_lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines() if line.split()[:1] in (["RECT"], ["PGON"])]


def test_all_iccad_clips_parse():
    assert len(CLIP_FILES) == 10
    for path in CLIP_FILES:
        layout = Layout.read(path)
        assert len(layout) == len(_shape_lines(path)), path.name
        assert set(map(tuple, layout.layers.tolist())) == {(1, 0)}  # "M1" -> (1, 0)
        assert layout.is_manhattan
        x0, y0, x1, y1 = layout.bbox
        assert 0 <= x0 < x1 <= 2048 and 0 <= y0 < y1 <= 2048  # clips fit the contest's 2048 nm frame


def test_m1_test1_area_by_hand_and_by_shapely():
    path = CLIPS / "M1_test1.glp"
    layout = Layout.read(path)
    # by hand: rectangles 452x88 + 228x96 + 228x92 + 140x112; three L-ish PGONs of
    # 88x60 + 108x80 and three of 324x64 + 64x68
    by_hand = 452 * 88 + 228 * 96 + 228 * 92 + 140 * 112 + 3 * (88 * 60 + 108 * 80) + 3 * (324 * 64 + 64 * 68)
    shapes = []
    for fields in _shape_lines(path):
        numbers = [float(v) for v in fields[3:]]
        if fields[0] == "RECT":
            x, y, w, h = numbers
            shapes.append(shapely.box(x, y, x + w, y + h))
        else:
            shapes.append(shapely.Polygon(np.reshape(numbers, (-1, 2))))
    assert by_hand == 215344
    assert layout.area() == by_hand  # exact: integer nm coordinates, areas far below 2**53
    assert sum(s.area for s in shapes) == by_hand
    # the M1 shapes do not overlap: the union has the same area
    assert layout.union().area() == pytest.approx(shapely.unary_union(shapes).area, abs=1e-6)
    assert shapely.unary_union(shapes).area == by_hand


def test_glp_layer_selection_by_name_or_pair():
    path = CLIPS / "M1_test1.glp"
    assert len(Layout.read(path, layer="M1")) == len(Layout.read(path, layer=(1, 0))) == 10
    with pytest.raises(LayoutError, match=r"M1_test1\.glp: layer 'M2' not found; layers present: M1"):
        Layout.read(path, layer="M2")
    with pytest.raises(LayoutError, match=r"M1_test1\.glp: layer \(2, 0\) not found.*Temp_Top.*\(1, 0\)"):
        Layout.read(path, layer=(2, 0))
    assert Layout.read(path, layer_map={"M1": (11, 2)}).layers[0].tolist() == [11, 2]
    assert len(Layout.read(path, cell="Temp_Top")) == 10
    with pytest.raises(LayoutError, match=r"no cell named 'Other'.*'Temp_Top'"):
        Layout.read(path, cell="Other")
    with pytest.raises(InvalidParameterError, match="layer_map"):
        Layout.read(SIM_C1, layer_map={"M1": (1, 0)})


def test_default_layer_numbers():
    assert default_layer_numbers(["M1", "V2", "POLY", "M12", "DIFF"]) == {
        "M1": (1, 0), "V2": (2, 0), "POLY": (13, 0), "M12": (12, 0), "DIFF": (14, 0)
    }
    # V1 would collide with M1: it gets the next free number instead of merging the layers
    assert default_layer_numbers(["M1", "V1"]) == {"M1": (1, 0), "V1": (2, 0)}
    assert default_layer_numbers(["M1", "V1"], {"V1": (1, 0)}) == {"M1": (2, 0), "V1": (1, 0)}


GOOD_HEAD = "BEGIN\nEQUIV  1  1000  MICRON  +X,+Y\nCNAME T\nLEVEL M1\n\nCELL T PRIME\n"


@pytest.mark.parametrize(
    "body, line, what",
    [
        ("   RECT N M1 0 0 10\n", 7, "RECT needs 6 fields"),
        ("   RECT N M1 0 0 10 10\n   RECT N M1 0 0 -5 10\n", 8, "width and height must be > 0"),
        ("   RECT N M1 0 0 10 0\n", 7, "width and height must be > 0"),
        ("   RECT N M1 0 zero 10 10\n", 7, "non-numeric"),
        ("   PGON N M1 0 0 10 0 10\n", 7, "PGON needs"),
        ("   PGON N M1 0 0 10 0\n", 7, "PGON needs"),
        ("   PGON N M1 0 0 10 0 0 0\n", 7, "fewer than 3 distinct"),
        ("   PGON N M1 0 0 10 0 nan 5\n", 7, "non-finite"),
        ("   CIRCLE N M1 0 0 5\n", 7, "unknown keyword 'CIRCLE'"),
    ],
)
def test_bad_glp_line_names_file_and_line(tmp_path, body, line, what):
    path = tmp_path / "bad.glp"
    path.write_text(GOOD_HEAD + body + "ENDMSG\n")
    with pytest.raises(LayoutError, match=rf"bad\.glp: line {line}: .*{what}"):
        Layout.read(path)


def test_glp_several_cells(tmp_path):
    path = tmp_path / "cells.glp"
    shapes = "   RECT N M1 0 0 10 10\nCELL U PRIME\n   RECT N M1 0 0 5 5\n   RECT N V1 0 0 5 5\n"
    path.write_text(GOOD_HEAD + shapes + "ENDMSG\n")
    with pytest.raises(LayoutError, match=r"cells\.glp: the file has shapes in 2 cells \('T', 'U'\); choose one"):
        Layout.read(path)
    assert Layout.read(path, cell="T").area() == 100
    u = Layout.read(path, cell="U")
    assert u.area() == 50 and u.layers.tolist() == [[1, 0], [2, 0]]  # V1 collides with M1 -> (2, 0)
    assert len(Layout.read(path, cell="U", layer="V1")) == 1


def test_glp_binary_junk(tmp_path):
    path = tmp_path / "bin.glp"
    path.write_bytes(GOOD_HEAD.encode() + b"\xff\xfe\x00junk\n")
    with pytest.raises(LayoutError, match=r"bin\.glp: line 7: not a GLP text file"):
        Layout.read(path)


def test_glp_write_read_round_trip(tmp_path):
    original = mixed_layout()
    original.write(tmp_path / "m.glp", layer_names={(2, 5): "V2", (7, 3): "M7"})
    data = read_glp(tmp_path / "m.glp")
    assert data.layer_numbers == {"M1": (1, 0), "V2": (2, 0), "M7": (7, 0)}
    # exact: coordinates are written with repr(), which round-trips doubles
    back = Layout.read(tmp_path / "m.glp", layer_map={"V2": (2, 5), "M7": (7, 3)})
    assert canonical(back) == canonical(original)
    with pytest.raises(InvalidParameterError, match="layer_names"):
        original.write(tmp_path / "n.glp")  # (2, 5) has no default name
    clip = Layout.read(CLIPS / "M1_test3.glp")
    clip.write(tmp_path / "clip.glp")
    assert canonical(Layout.read(tmp_path / "clip.glp")) == canonical(clip)
    assert "RECT N M1" in (tmp_path / "clip.glp").read_text()


# -- atomic writes ------------------------------------------------------------------------


class Boom(Exception):
    pass


@pytest.mark.parametrize("name", ["out.gds", "out.oas"])
def test_failed_write_leaves_nothing(tmp_path, monkeypatch, name):
    seen = []

    def half_write_then_fail(library, tmp, fmt, destination):
        seen.append(Path(tmp))
        Path(tmp).write_bytes(b"\x00\x06\x00\x02\x02\x58" * 100)  # a partial file
        raise Boom("disk full")

    monkeypatch.setattr(gds_io, "_save", half_write_then_fail)
    with pytest.raises(Boom):
        mixed_layout().write(tmp_path / name)
    assert list(tmp_path.iterdir()) == []  # neither the destination nor the temporary file
    assert seen[0].parent == tmp_path and seen[0].name.endswith(Path(name).suffix)

    existing = tmp_path / name
    existing.write_bytes(b"previous contents")
    with pytest.raises(Boom):
        mixed_layout().write(existing)
    assert existing.read_bytes() == b"previous contents"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_successful_write_replaces_existing(tmp_path):
    path = tmp_path / "out.gds"
    path.write_bytes(b"old")
    mixed_layout().write(path)
    assert len(Layout.read(path)) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["out.gds"]


def test_atomic_path(tmp_path):
    target = tmp_path / "image.npy"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".npy") and tmp.exists()
        assert not target.exists()
        np.save(tmp, np.arange(3))
    assert np.load(target).tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["image.npy"]

    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            np.save(tmp, np.arange(5))
            raise KeyboardInterrupt
    assert np.load(target).tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["image.npy"]

    with atomic_path(tmp_path / "layout.gds.gz") as tmp:
        assert tmp.name.endswith(".gds.gz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with atomic_path(tmp_path / "missing" / "x.npy"):
            pass


def test_atomic_path_gives_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    with atomic_path(tmp_path / "p.txt") as tmp:
        tmp.write_text("x")
    assert (tmp_path / "p.txt").stat().st_mode & 0o777 == 0o666 & ~umask
