"""ICCAD-2013 contest scoring benchmarks (asv).

Target (2-core CPU): ``litho.datasets.iccad2013.evaluate`` of one 2048^2 clip at the
three process corners (nominal, outer, inner) <= 80 ms, kernels loaded in ``setup``.

For comparison, ``ReferenceFullGrid.time_reference_full_grid`` times the way research
code computes the same thing: for each kernel set (focus for nominal/outer, defocus for
inner) and each of its 24 kernels, embed the 35x35 kernel in a zero 2048^2 spectrum,
multiply by ``fft2(mask)``, ``ifft2``, and accumulate ``w_k |.|^2`` (numpy FFTs, complex64);
the outer corner is the nominal image scaled by 1.02^2 (the same shortcut ``evaluate``
takes, so the comparison is of the imaging only). Its L2 and PV band equal evaluate's up
to pixels within float32 rounding of the threshold.

Run without asv: ``python benchmarks/bench_iccad.py`` prints the median times.
"""

import numpy as np

from litho.datasets import iccad2013 as ic


def reference_intensity(model, mask_spectrum: np.ndarray) -> np.ndarray:
    """Research-code SOCS image: one full-size inverse FFT per kernel."""
    ny, nx = mask_spectrum.shape
    rows = (np.arange(model.kernels.shape[1]) - model.band.ky) % ny
    cols = (np.arange(model.kernels.shape[2]) - model.band.kx) % nx
    intensity = np.zeros((ny, nx), dtype=np.float32)
    for kernel, weight in zip(model.kernels.astype(np.complex64), model.weights.astype(np.float32)):
        full = np.zeros((ny, nx), dtype=np.complex64)
        full[np.ix_(rows, cols)] = kernel
        field = np.fft.ifft2(full * mask_spectrum)
        intensity += weight * (field.real**2 + field.imag**2)
    return intensity


def reference_evaluate(mask: np.ndarray, target: np.ndarray, focus, defocus) -> dict:
    """L2 and PV band the research-code way (full-grid numpy FFTs)."""
    spectrum = np.fft.fft2(mask.astype(np.complex64))
    nominal = reference_intensity(focus, spectrum)
    inner = reference_intensity(defocus, spectrum) * np.float32(0.98**2)
    outer = nominal * np.float32(1.02**2)
    threshold = ic.PRINT_THRESHOLD
    return {"l2": int(np.count_nonzero((nominal >= threshold) != target)),
            "pvb": int(np.count_nonzero((outer >= threshold) != (inner >= threshold)))}


class Evaluate:
    """evaluate() of ICCAD-2013 clip M1_test1 (its target as the mask), 3 corners."""

    timeout = 120

    def setup(self):
        self.target = ic.target(1, backend="numpy")
        self.batch = np.stack([self.target] * 4)
        ic.evaluate(self.target, self.target)  # load and cache both kernel sets, warm the FFTs

    def time_evaluate(self):
        ic.evaluate(self.target, self.target)

    def time_evaluate_batch_of_4(self):
        ic.evaluate(self.batch, self.target)


class ReferenceFullGrid:
    """The research-code reference: 48 full 2048^2 inverse FFTs (24 kernels x 2 sets)."""

    timeout = 600
    number = 1
    repeat = 3
    warmup_time = 0

    def setup(self):
        self.target = ic.target(1, backend="numpy")
        self.focus, self.defocus = ic.kernels("focus"), ic.kernels("defocus")

    def time_reference_full_grid(self):
        reference_evaluate(self.target, self.target, self.focus, self.defocus)


if __name__ == "__main__":
    import time

    def median_ms(call, runs):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            result = call()
            times.append(time.perf_counter() - start)
        return 1e3 * float(np.median(times)), result

    bench = Evaluate()
    bench.setup()
    fast, scores = median_ms(lambda: ic.evaluate(bench.target, bench.target), 21)
    batch, _ = median_ms(lambda: ic.evaluate(bench.batch, bench.target), 5)
    reference = ReferenceFullGrid()
    reference.setup()
    slow, ref_scores = median_ms(
        lambda: reference_evaluate(reference.target, reference.target, reference.focus, reference.defocus), 3)
    print(f"evaluate (1 clip, 3 corners):   {fast:8.1f} ms  {scores}")
    print(f"evaluate (batch of 4):          {batch:8.1f} ms  ({batch / 4:.1f} ms per clip)")
    print(f"reference full grid (numpy):    {slow:8.1f} ms  {ref_scores}")
    print(f"speed-up:                       {slow / fast:8.1f}x")
