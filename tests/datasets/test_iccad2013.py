"""litho.datasets.iccad2013: kernel files, clips, targets and the contest's scoring model.

Each 2048² evaluation costs ~50 ms on a 2-core CPU; this file runs about 30 of them.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import scipy.fft

import litho
from litho.datasets import iccad2013 as ic
from litho.errors import InvalidParameterError

KERNEL_DIR = litho.datasets.path("iccad2013", "kernels")


@pytest.fixture(scope="module")
def focus():
    return ic.kernels("focus")


@pytest.fixture(scope="module")
def legacy():
    return ic.kernels("focus", "legacy")


@pytest.fixture(scope="module")
def target1():
    return ic.target(1, backend="numpy")


def reference_intensity(model, mask):
    """The README's formula on the full grid, independent of the band-limited path:
    I = sum_k w_k |IFFT(H_k ⊙ FFT(M))|², H_k embedded in a zero 2048² spectrum."""
    spectrum = scipy.fft.fft2(mask.astype(np.complex64), workers=2)
    rows = (np.arange(35) - 17) % 2048
    full = np.zeros((2048, 2048), dtype=np.complex64)
    intensity = np.zeros((2048, 2048), dtype=np.float64)
    for kernel, weight in zip(model.kernels, model.weights):
        full[np.ix_(rows, rows)] = kernel
        field = scipy.fft.ifft2(full * spectrum, workers=2)
        intensity += weight * (field.real.astype(np.float64) ** 2 + field.imag.astype(np.float64) ** 2)
    return intensity


# ---------------------------------------------------------------------- module and data
def test_module_and_data_directory_coexist():
    # the module file iccad2013.py sits beside the data directory iccad2013/ (no __init__.py)
    import importlib

    module = importlib.import_module("litho.datasets.iccad2013")
    assert module.__file__.endswith("iccad2013.py")
    assert litho.datasets.iccad2013 is module
    assert litho.datasets.path("iccad2013", "kernels", "focus", "scales.txt").is_file()
    assert litho.datasets.path("iccad2013", "clips", "M1_test10.glp").is_file()


# ---------------------------------------------------------------------- kernel files
def test_exact_reading_layout():
    # exact: (re, im) big-endian float32 pairs from byte 24, row-major, first index = y
    raw = (KERNEL_DIR / "focus" / "fh0.bin").read_bytes()
    assert len(raw) == ic.KERNEL_FILE_BYTES == 9824
    assert tuple(np.frombuffer(raw, ">i4", count=3)) == (35, 35, 2)
    pairs = np.frombuffer(raw[24:], ">f4").reshape(35, 35, 2)
    kernel = ic.read_kernel_file(KERNEL_DIR / "focus" / "fh0.bin")
    assert kernel.shape == (35, 35) and kernel.dtype == np.complex128
    np.testing.assert_array_equal(kernel.real, pairs[..., 0])
    np.testing.assert_array_equal(kernel.imag, pairs[..., 1])


def test_legacy_reading_is_shifted_by_one_float_and_transposed():
    # legacy (byte 20): each value is (previous value's imaginary part, its own real part);
    # the first real part is the header's last int32 (0); then the kernel is transposed
    exact = ic.read_kernel_file(KERNEL_DIR / "focus" / "fh3.bin").ravel()
    shifted = ic.read_kernel_file(KERNEL_DIR / "focus" / "fh3.bin", reading="legacy").T.ravel()
    np.testing.assert_array_equal(shifted.imag, exact.real)
    np.testing.assert_array_equal(shifted.real[1:], exact.imag[:-1])
    assert shifted.real[0] == 0.0


def test_exact_and_legacy_kernels_and_images_differ(focus, legacy, target1):
    assert not np.allclose(focus.kernels, legacy.kernels)
    np.testing.assert_array_equal(focus.weights, legacy.weights)
    exact_image, legacy_image = focus.image(target1), legacy.image(target1)
    relative = np.linalg.norm(exact_image - legacy_image) / np.linalg.norm(exact_image)
    assert relative > 0.01  # "several percent" (2.8 % for clip 1)


@pytest.mark.parametrize("which", ["focus", "defocus"])
def test_exact_reading_has_inversion_symmetry(which):
    # the optics gives |H(k)| = |H(-k)|; the files hold float32 (relative precision 6e-8),
    # so 1e-6 of each kernel's peak. The legacy reading breaks it by > 1 % for every kernel.
    for reading, inside in (("exact", True), ("legacy", False)):
        magnitude = np.abs(ic.kernels(which, reading).kernels)
        asymmetry = np.abs(magnitude - magnitude[:, ::-1, ::-1]).max(axis=(1, 2)) / magnitude.max(axis=(1, 2))
        if inside:
            assert asymmetry.max() < 1e-6
        else:
            assert asymmetry.min() > 1e-2


def test_kernels_are_cached_and_describe_the_contest_grid(focus):
    assert ic.kernels("focus") is focus
    assert ic.kernels("defocus") is not focus
    assert len(focus) == 24 and focus.shape == (2048, 2048) and focus.pixel == 1.0
    assert focus.band.band_shape == (35, 35)
    assert (np.diff(focus.weights) <= 0).all()  # scales.txt lists the strongest kernel first


def test_read_kernel_set_of_a_copy_equals_the_bundled_set(tmp_path, focus):
    copy = tmp_path / "focus"
    shutil.copytree(KERNEL_DIR / "focus", copy)
    model = ic.read_kernel_set(copy)
    np.testing.assert_array_equal(model.kernels, focus.kernels)
    np.testing.assert_array_equal(model.weights, focus.weights)


def test_wrong_size_kernel_file(tmp_path):
    truncated = tmp_path / "fh0.bin"
    truncated.write_bytes((KERNEL_DIR / "focus" / "fh0.bin").read_bytes()[:9000])
    with pytest.raises(InvalidParameterError) as info:
        ic.read_kernel_file(truncated)
    assert info.value.name == "kernel file"
    assert str(truncated) in str(info.value) and "9824" in str(info.value) and "9000 bytes" in str(info.value)


def test_wrong_size_kernel_file_in_a_set(tmp_path):
    copy = tmp_path / "defocus"
    shutil.copytree(KERNEL_DIR / "defocus", copy)
    (copy / "fh7.bin").write_bytes((copy / "fh7.bin").read_bytes() + b"\0\0\0\0")
    with pytest.raises(InvalidParameterError, match="9824") as info:
        ic.read_kernel_set(copy)
    assert "fh7.bin" in str(info.value)


def test_bad_kernel_header(tmp_path):
    raw = bytearray((KERNEL_DIR / "focus" / "fh0.bin").read_bytes())
    raw[0:4] = (36).to_bytes(4, "big")
    bad = tmp_path / "fh0.bin"
    bad.write_bytes(bytes(raw))
    with pytest.raises(InvalidParameterError, match="header") as info:
        ic.read_kernel_file(bad)
    assert str(bad) in str(info.value)


def test_missing_kernel_file(tmp_path):
    with pytest.raises(InvalidParameterError, match="no such file"):
        ic.read_kernel_file(tmp_path / "fh0.bin")


def test_scales_with_crlf_and_count_mismatch(tmp_path):
    crlf = tmp_path / "scales.txt"
    crlf.write_bytes(b"3\r\n1.5\r\n0.25\r\n0.125\r\n")
    np.testing.assert_array_equal(ic.read_scales(crlf), [1.5, 0.25, 0.125])
    bundled = ic.read_scales(KERNEL_DIR / "defocus" / "scales.txt")
    assert bundled.shape == (24,) and (bundled > 0).all()
    short = tmp_path / "short.txt"
    short.write_text("3\n1.0\n0.5\n")
    with pytest.raises(InvalidParameterError, match="count 3, 2 weights"):
        ic.read_scales(short)
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("two\n1.0\n")
    with pytest.raises(InvalidParameterError, match="scales file"):
        ic.read_scales(garbage)


@pytest.mark.parametrize(("call", "name"), [
    (lambda: ic.kernels("best-focus"), "which"),
    (lambda: ic.kernels("focus", "approximate"), "reading"),
    (lambda: ic.read_kernel_file(KERNEL_DIR / "focus" / "fh0.bin", "byte20"), "reading"),
    (lambda: ic.evaluate(np.zeros((2048, 2048)), np.zeros((2048, 2048), bool), reading="old"), "reading"),
    (lambda: ic.clip(11), "index"),
    (lambda: ic.clip(True), "index"),
])
def test_bad_choices_name_the_parameter(call, name):
    with pytest.raises(InvalidParameterError) as info:
        call()
    assert info.value.name == name


# ---------------------------------------------------------------------- model
def test_clear_mask_intensity(focus):
    # the contest states I ≈ 0.954 for a clear mask (3 digits: ±0.001); closed form for a
    # clear mask: sum_k w_k |H_k(0)|², uniform (a single frequency)
    image = focus.image(np.ones((2048, 2048), dtype=np.float32))
    assert abs(float(image.min()) - 0.954) <= 1e-3 and abs(float(image.max()) - 0.954) <= 1e-3
    closed_form = float(np.sum(focus.weights * np.abs(focus.kernels[:, 17, 17]) ** 2))
    np.testing.assert_allclose(image, closed_form, rtol=1e-6)  # float32 image


@pytest.mark.parametrize("which", ["focus", "defocus"])
def test_band_limited_image_matches_full_grid_reference(which, target1):
    # independent truth: the README's full-size FFT formula, for the 3 strongest kernels
    # (orientation, indexing and normalisation are the same for all 24; 3 keep it ~1 s).
    # complex64 FFTs of 2048² err by ~1e-6 of the peak intensity (measured 2.5e-7): 2e-6
    model = ic.kernels(which).truncate(3)
    reference = reference_intensity(model, target1)
    assert reference.max() > 0.3  # a meaningful image (peak ~0.4 with 3 kernels), not all dark
    assert np.abs(model.image(target1) - reference).max() < 2e-6


def test_corners_follow_the_amplitude_dose_convention(target1):
    # outer = 1.02² I_nominal (focus kernels), inner = 0.98² I_defocus: evaluate must agree
    # bit for bit with imaging each corner through the linear-dose SOCS API
    focus, defocus = ic.kernels("focus"), ic.kernels("defocus")
    outer = focus.image(target1, dose=1.02**2) >= 0.225
    inner = defocus.image(target1, dose=0.98**2) >= 0.225
    nominal = focus.image(target1) >= 0.225
    result = ic.evaluate(target1, target1)
    assert result["pvb"] == int(np.count_nonzero(outer != inner))
    assert result["l2"] == int(np.count_nonzero(nominal != target1))
    images = ic.corner_images(target1)
    np.testing.assert_array_equal(images["outer"], images["nominal"] * np.float32(1.02**2))
    assert ic.PRINT_THRESHOLD == 0.225
    assert ic.CORNERS == {"nominal": ("focus", 1.00), "outer": ("focus", 1.02), "inner": ("defocus", 0.98)}


@pytest.mark.parametrize("index", range(1, 11))
def test_target_area_and_evaluation_of_every_clip(index):
    layout = ic.clip(index)
    wanted = ic.target(index, backend="numpy")
    assert wanted.dtype == np.bool_ and wanted.shape == (2048, 2048)
    # integer (nm) coordinates, non-overlapping polygons: the pixel-centre count is the area
    assert int(wanted.sum()) == layout.area()
    first = ic.evaluate(wanted, wanted)
    second = ic.evaluate(wanted, wanted)
    assert first == second  # deterministic
    assert type(first["l2"]) is int and type(first["pvb"]) is int
    # clip 4's narrow lines print at no corner: L2 is then its whole area and the PV band 0
    assert first["l2"] >= 0 and first["pvb"] >= 0
    assert first["l2"] < wanted.size and first["reading"] == "exact"


def test_target_frame(target1):
    # the clip is offset by (+512, +512) nm; row r is y = r (row 0 at the bottom)
    x0, y0, x1, y1 = ic.clip(1).bbox
    rows = np.flatnonzero(target1.any(axis=1))
    cols = np.flatnonzero(target1.any(axis=0))
    assert (cols[0], cols[-1] + 1) == (x0 + 512, x1 + 512)
    assert (rows[0], rows[-1] + 1) == (y0 + 512, y1 + 512)


def test_batched_evaluation_equals_single_ones():
    masks = np.stack([
        ic.target(1, backend="numpy").astype(np.float32),
        ic.target(2, backend="numpy").astype(np.float32),
        # continuous transmission: exact area coverage of a clip shifted by half a pixel
        litho.rasterize(ic.clip(3).translate(512.5, 511.5), 1.0, (2048, 2048), mode="area", backend="numpy"),
    ])
    targets = np.stack([ic.target(i, backend="numpy") for i in (1, 2, 3)])
    batch = ic.evaluate(masks, targets)
    assert batch["l2"].shape == (3,) and batch["pvb"].shape == (3,)
    assert batch["l2"].dtype == np.int64
    singles = [ic.evaluate(masks[i], targets[i]) for i in range(3)]
    np.testing.assert_array_equal(batch["l2"], [s["l2"] for s in singles])
    np.testing.assert_array_equal(batch["pvb"], [s["pvb"] for s in singles])
    # one target broadcast over a (1, 2) batch: same counts for the same masks
    pair = ic.evaluate(masks[None, :2], targets[0])
    assert pair["l2"].shape == (1, 2)
    assert pair["l2"][0, 0] == singles[0]["l2"] and pair["pvb"][0, 1] == singles[1]["pvb"]


def test_mask_dtypes_give_the_same_scores(target1):
    as_bool = ic.evaluate(target1, target1)
    assert ic.evaluate(target1.astype(np.uint8), target1.astype(np.float64)) == as_bool
    assert ic.evaluate(target1.astype(np.float32), target1) == as_bool


def test_legacy_reading_scores_differ(target1):
    exact = ic.evaluate(target1, target1)
    legacy = ic.evaluate(target1, target1, reading="legacy")
    assert legacy["reading"] == "legacy"
    assert (legacy["l2"], legacy["pvb"]) != (exact["l2"], exact["pvb"])


@pytest.mark.parametrize(("mask", "wanted", "name"), [
    (np.zeros((1024, 1024)), np.zeros((2048, 2048), bool), "mask"),
    (np.zeros(2048), np.zeros((2048, 2048), bool), "mask"),
    (np.zeros((2048, 2048), complex), np.zeros((2048, 2048), bool), "mask"),
    (np.full((2048, 2048), 255, np.uint8), np.zeros((2048, 2048), bool), "mask"),
    (np.full((2048, 2048), np.nan, np.float32), np.zeros((2048, 2048), bool), "mask"),
    (np.zeros((2048, 2048)), np.zeros((2048, 1024), bool), "target"),
    (np.zeros((2048, 2048)), np.zeros((2, 2048, 2048), bool), "target"),
    (np.zeros((2048, 2048)), np.full((2048, 2048), 0.5), "target"),
])
def test_bad_mask_or_target(mask, wanted, name):
    with pytest.raises(InvalidParameterError) as info:
        ic.evaluate(mask, wanted)
    assert info.value.name == name
    if "shape" in str(info.value.value):
        assert "2048, 2048" in info.value.allowed


@pytest.mark.gpu
def test_gpu_evaluation_matches_cpu(target1):
    import cupy

    cpu = ic.evaluate(target1, target1)
    gpu = ic.evaluate(cupy.asarray(target1), target1)  # the numpy target moves to the device
    assert type(gpu["l2"]) is int and type(gpu["pvb"]) is int
    # cuFFT and pocketfft round differently (~1e-6 of the intensity): only pixels that close
    # to the threshold at some corner may print differently
    images = ic.corner_images(target1)
    near = sum(int(np.count_nonzero(np.abs(image - ic.PRINT_THRESHOLD) < 1e-5)) for image in images.values())
    assert abs(gpu["l2"] - cpu["l2"]) <= near and abs(gpu["pvb"] - cpu["pvb"]) <= near
    batch = ic.evaluate(cupy.stack([cupy.asarray(target1)] * 2), cupy.asarray(target1))
    assert batch["l2"].tolist() == [gpu["l2"]] * 2 and isinstance(batch["l2"], np.ndarray)
