#!/usr/bin/env bash
# Fetch, on this (networked) machine, the wheels that the GPU machine's image lacks, into
# .whl/ at the repository root (git-ignored; name it in the device tool's `carry`).
#
# The device image (Python 3.12, CuPy for CUDA 13) already has numpy, scipy, Cython,
# pillow, threadpoolctl, contourpy, matplotlib, tqdm, pytest and hypothesis; litho needs
# gdstk and shapely besides (pyFFTW is optional and degrades to scipy's FFT).
set -euo pipefail
cd "$(dirname "$0")/../.."
PIP=${PIP:-python3 -m pip}
rm -rf .whl && mkdir .whl
for spec in "gdstk==1.0.2" "shapely==2.2.0"; do
    $PIP download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d .whl "$spec"
done
ls -l .whl
