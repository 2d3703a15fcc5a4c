"""Patterning flows: a 193i single exposure through resist and etch, every intermediate kept,
translation invariance of the whole chain, dose trends, closed-form etch depth, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import litho
from litho.errors import InvalidParameterError
from litho.etch import EtchProcess, Layer, Rate, Stack
from litho.flow import (EtchResult, EtchStage, Flow, ImageResult, ImagingStage, MaskStage, ResistResult,
                        ResistStage)
from litho.resist import CAR, PEB, Mack

OPTICS = litho.Optics(wavelength=193.0, na=1.35, immersion=1.44, source=litho.Source.annular(0.6, 0.9))
RESIST = CAR(thickness=60.0, C=0.05, peb=PEB(time=60.0, acid_diffusivity=3.0, k_amp=0.05),
             development=Mack(r_max=100.0, r_min=0.1, n=5.0, m_th=0.5), develop_time=30.0, nz=15, absorption=0.5)
FILM_RATE, ISO_RATE, ETCH_TIME = 1.0, 0.05, 25.0
ETCH = EtchStage(EtchProcess({"film": Rate(isotropic=ISO_RATE, directional=FILM_RATE),
                              "resist": Rate(directional=0.3)}, time=ETCH_TIME),
                 Stack([Layer("film", 40.0)], substrate_thickness=6.0))
WINDOW = (0.0, 0.0, 512.0, 64.0)


def lines(dx: float = 0.0, dy: float = 0.0) -> litho.Layout:
    """Two 80 nm resist lines at 160 nm pitch across the window (in y)."""
    return litho.Layout.from_rects([[x + dx, dy, x + 80 + dx, 64 + dy] for x in (96.0, 256.0)])


def flow(dose: float = 4.0, etch: bool = True) -> Flow:
    return Flow(imaging=ImagingStage(OPTICS), resist=ResistStage(RESIST, dose), etch=ETCH if etch else None)


def test_single_exposure_flow_keeps_every_stage():
    result = flow().run(lines(), window=WINDOW, pixel=4.0, backend="numpy")
    assert isinstance(result.image, ImageResult) and isinstance(result.resist, ResistResult)
    assert isinstance(result.etch, EtchResult) and result.last is result.etch
    assert result.etch.previous is result.resist and result.resist.previous is result.image
    assert result.image.previous is result.mask and result.mask.previous is result.input
    assert result.image.intensity.shape == (16, 128) and result.input.shape == (16, 128)
    # chrome lines on a clear field: dark under the lines, bright between them
    i = np.asarray(result.image.intensity)[8]
    assert i[34] < 0.2 < 0.8 < i[10]
    s = result.summary()
    # the floor between the lines is open from the start: it etches at directional +
    # isotropic rate for the whole time (1e-4 nm: the level set moves a flat floor exactly)
    assert s["etch_depth_nm"] == pytest.approx((FILM_RATE + ISO_RATE) * ETCH_TIME, abs=1e-4)
    # the printed film lines: two, near the target's area (the dose was picked for it;
    # 15 %: the etch bias of the isotropic component and the resist's sloped walls)
    assert len(result.contours.polygons) == 2
    assert s["printed_area_nm2"] == pytest.approx(s["target_area_nm2"], rel=0.15)
    # the line ends lie on the window's (periodic) edge, so only the side fragments are
    # measured; their EPE is a few nm
    assert s["epe_sites"] == 8 and s["epe_max_nm"] < 10.0


def test_translation_moves_everything_with_the_pattern():
    # shift the layout and the window by whole pixels: every stage is periodic and
    # origin-aware, so the results are the same numbers with shifted coordinates (the
    # FFTs see identical arrays: 1e-9)
    a = flow().run(lines(), window=WINDOW, pixel=4.0, backend="numpy")
    b = flow().run(lines(40.0, -24.0), window=(40.0, -24.0, 552.0, 40.0), pixel=4.0, backend="numpy")
    np.testing.assert_allclose(b.image.intensity, a.image.intensity, atol=1e-9)
    sa, sb = a.summary(), b.summary()
    for key in ("etch_depth_nm", "printed_area_nm2", "epe_max_nm", "epe_rms_nm"):
        assert sb[key] == pytest.approx(sa[key], abs=1e-6)
    xa = np.sort(np.concatenate([p[:, 0] for p in a.contours.polygons]))
    xb = np.sort(np.concatenate([p[:, 0] for p in b.contours.polygons]))
    np.testing.assert_allclose(xb - 40.0, xa, atol=1e-6)


def test_more_dose_thins_the_resist_lines():
    # positive resist, chrome lines: more dose clears more, so the printed lines shrink and
    # the mean EPE falls (each step of dose moves every edge inwards)
    areas, mean_epe = [], []
    for dose in (3.0, 4.0, 5.0):
        r = flow(dose, etch=False).run(lines(), window=WINDOW, pixel=4.0, backend="numpy")
        areas.append(r.summary()["printed_area_nm2"])
        mean_epe.append(float(np.mean(r.epe.epe[r.epe.ok])))
    assert areas[0] > areas[1] > areas[2]
    assert mean_epe[0] > mean_epe[1] > mean_epe[2]
    # a dose that clears everything prints nothing, and says so instead of failing
    gone = flow(30.0, etch=False).run(lines(), window=WINDOW, pixel=4.0, backend="numpy")
    assert gone.epe is None and gone.summary()["printed_area_nm2"] == 0.0
    assert np.isnan(gone.summary()["epe_max_nm"])


def test_bad_input():
    with pytest.raises(InvalidParameterError) as info:
        Flow(imaging=ImagingStage(OPTICS), etch=ETCH)
    assert info.value.name == "etch"
    with pytest.raises(InvalidParameterError) as info:
        flow().run(lines(), window=(0, 0, -5, 64), pixel=4.0)
    assert info.value.name == "window"
    with pytest.raises(InvalidParameterError) as info:
        flow().run("lines.gds", window=WINDOW, pixel=4.0)
    assert info.value.name == "layout"
    with pytest.raises(InvalidParameterError) as info:
        ImagingStage("193i")
    assert info.value.name == "optics"
    with pytest.raises(InvalidParameterError) as info:
        MaskStage("opaque")
    assert info.value.name == "polarity"
    with pytest.raises(InvalidParameterError) as info:
        ResistStage(RESIST, dose=-1.0)
    assert info.value.name == "dose"


def test_lele_overlay_moves_only_the_second_masks_edges():
    # four 60 nm lines at 120 nm pitch (60 nm spaces < the 90 nm colouring distance): LELE
    # alternates them over two masks, each exposed alone at 240 nm pitch and combined as the
    # union of the prints. An overlay error of 8 nm (two pixels) in x on the second exposure
    # shifts its image exactly (periodic, whole pixels), so the EPE of its lines' long edges
    # changes by +-8 nm (outward normal . overlay) and nothing else changes (1e-4 nm: the
    # EPE search fits its spline on a window about each site and refines the crossing to
    # ~1e-5 nm, which is not exactly shift-equivariant; observed 4e-5 nm)
    from litho.flow import MultipleExposureFlow

    target = litho.Layout.from_rects([[x, 160, x + 60, 480] for x in np.arange(240.0, 720.0, 120.0)])
    image_flow = Flow(imaging=ImagingStage(OPTICS), threshold=0.3)
    kw = dict(window=(0.0, 0.0, 960.0, 640.0), pixel=4.0, backend="numpy")
    base = MultipleExposureFlow(image_flow, 90.0).run(target, **kw)
    moved = MultipleExposureFlow(image_flow, 90.0, overlay=[(0.0, 0.0), (8.0, 0.0)]).run(target, **kw)
    split = base.decomposition
    assert base.summary()["conflicts"] == 0 and split.n_masks == 2
    colors = np.asarray(split.colors)[np.asarray(split.graph.pattern)]  # mask of each target polygon
    assert sorted(colors.tolist()) == [0, 0, 1, 1] and colors[0] != colors[1]  # neighbours alternate
    frags = base.epe.fragments
    runs = (frags.kind == 0) & base.epe.ok & moved.epe.ok
    on_second = colors[frags.polygon] == 1
    expected = np.where(on_second, 8.0 * frags.normals[:, 0], 0.0)
    np.testing.assert_allclose((moved.epe.epe - base.epe.epe)[runs], expected[runs], atol=1e-4)
    assert np.any(runs & on_second & (frags.normals[:, 0] != 0))
    assert len(base.exposures) == 2 and base.exposures[1].input.layout.area() == pytest.approx(2 * 60 * 320)
    with pytest.raises(InvalidParameterError) as info:
        MultipleExposureFlow(image_flow, 90.0, overlay=[(0.0, 0.0)])
    assert info.value.name == "overlay"


@pytest.mark.gpu
def test_flow_on_the_gpu_matches_the_cpu():
    # the same flow on both backends: imaging (cuFFT vs pocketfft, float32 by default) and
    # the etch level set (CuPy array code vs the Cython kernel); the printed pattern agrees
    # within 0.1 nm at every EPE site (the bar)
    cpu = flow().run(lines(), window=WINDOW, pixel=4.0, backend="numpy")
    gpu = flow().run(lines(), window=WINDOW, pixel=4.0, backend="cupy")
    assert np.array_equal(cpu.epe.ok, gpu.epe.ok)
    np.testing.assert_allclose(gpu.epe.epe[gpu.epe.ok], cpu.epe.epe[cpu.epe.ok], atol=0.1)
    assert gpu.contours.area() == pytest.approx(cpu.contours.area(), rel=1e-3)


def test_sadp_spacer_defined_edges_follow_the_mandrel_not_the_trim():
    # 60 nm lines at 120 nm pitch, spacer 60 nm (= the space): SID SADP alternates mandrel
    # and non-mandrel wires; the trim opens the non-mandrel ones, extending s/2 into the
    # spacers. The long edges of the inner non-mandrel wire face mandrels across a spacer:
    # self-aligned. A 4 nm trim overlay leaves them where they were (the spacer is grown on
    # the unchanged mandrel print; 1e-6 nm), a 4 nm mandrel overlay (one pixel: its print
    # moves exactly) moves them by 4 nm along their normals (1e-4 nm, the EPE search's
    # refinement, as for LELE)
    from litho.flow import SADPFlow

    target = litho.Layout.from_rects([[x, 160, x + 60, 480] for x in np.arange(240.0, 720.0, 120.0)])
    exposure = Flow(imaging=ImagingStage(OPTICS), threshold=0.35)
    kw = dict(window=(0.0, 0.0, 960.0, 640.0), pixel=4.0, backend="numpy")
    base = SADPFlow(exposure, exposure, 60.0).run(target, **kw)
    trim_moved = SADPFlow(exposure, exposure, 60.0, overlay=[(0.0, 0.0), (4.0, 0.0)]).run(target, **kw)
    mandrel_moved = SADPFlow(exposure, exposure, 60.0, overlay=[(4.0, 0.0), (0.0, 0.0)]).run(target, **kw)
    split = base.decomposition
    assert split.legal and list(split.is_mandrel) == [True, False, True, False]
    frags = base.epe.fragments
    inner = (frags.polygon == 1) & (frags.kind == 0) & (frags.normals[:, 0] != 0)  # long edges of wire 1
    measured = inner & base.epe.ok & trim_moved.epe.ok & mandrel_moved.epe.ok
    assert measured.sum() >= 8
    np.testing.assert_allclose(trim_moved.epe.epe[measured], base.epe.epe[measured], atol=1e-6)
    np.testing.assert_allclose(mandrel_moved.epe.epe[measured] - base.epe.epe[measured],
                               4.0 * frags.normals[measured, 0], atol=1e-4)
    # the trim-defined edge (the last wire's outer side, facing no mandrel) does follow
    # the trim: the printed area changes
    assert base.summary()["legal"] and base.summary()["non_mandrels"] == 2
    assert trim_moved.printed.area() != pytest.approx(base.printed.area(), abs=1.0)
