"""Tests of litho.optics.Optics: validation, pupil, frequency band, keys."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

import litho.optics
from litho.errors import InvalidParameterError
from litho.optics import Optics, Pupil, Source


def arf() -> Optics:
    return Optics(193.0, 1.35, Source.annular(0.6, 0.9), immersion=1.44, aberrations={9: 0.01})


def test_public_api():
    assert set(litho.optics.__all__) >= {"Source", "Pupil", "Optics", "zernike"}
    assert litho.optics.zernike.fringe(4, 1.0, 0.0) == pytest.approx(1.0)


def test_pupil_and_band():
    o = arf()
    assert o.pupil == Pupil(193.0, 1.35, immersion=1.44, aberrations={9: 0.01})
    assert o.cutoff == pytest.approx(1.35 / 193.0)
    assert o.frequency_band == pytest.approx(1.9 * 1.35 / 193.0)
    assert o.reduction == 4.0 and len(o.aberrations) == 37
    assert "aberrations={9: 0.01}" in repr(o) and "Source.annular(sigma_in=0.6" in repr(o)
    blurred = o.with_source(Source.annular(0.6, 0.9).gaussian_blur(0.05))
    assert blurred.frequency_band == pytest.approx(2.0 * 1.35 / 193.0)  # sigma_max capped at 1
    # a point source at the band edge still passes: |f| = band - sigma_max NA/lambda = cutoff
    p = o.pupil(np.array([o.frequency_band - 0.9 * o.cutoff]), np.array([0.0]))
    assert abs(p[0]) == pytest.approx(1.0)


def test_with_defocus_and_key():
    o = arf()
    o2 = o.with_defocus(40.0)
    assert o2.defocus == 40.0 and o2.pupil.defocus == 40.0 and o.defocus == 0.0
    assert o2 == dataclasses.replace(o, defocus=40.0)
    assert o.key() == arf().key() and len(o.key()) == 64
    assert o2.key() != o.key()
    assert o.with_source(Source.annular(0.6, 0.91)).key() != o.key()
    assert dataclasses.replace(o, aberrations={9: 0.011}).key() != o.key()
    assert dataclasses.replace(o, reduction=5).key() != o.key()
    assert pickle.loads(pickle.dumps(o)).key() == o.key()
    assert hash(o) == hash(arf())


@pytest.mark.parametrize("kwargs, name", [
    ({"wavelength": 193.0, "na": 1.35, "immersion": 1.0}, "na"),
    ({"wavelength": 193.0, "na": 1.44, "immersion": 1.44}, "na"),
    ({"wavelength": 0.0, "na": 0.5}, "wavelength"),
    ({"wavelength": -13.5, "na": 0.33}, "wavelength"),
    ({"wavelength": 193.0, "na": 0.5, "reduction": 0}, "reduction"),
    ({"wavelength": 193.0, "na": 0.5, "obscuration": 1.2}, "obscuration"),
    ({"wavelength": 193.0, "na": 0.5, "source": "annular"}, "source"),
])
def test_validation(kwargs, name):
    kwargs.setdefault("source", Source.conventional(0.5))
    with pytest.raises(InvalidParameterError) as info:
        Optics(**kwargs)
    assert info.value.name == name
    if name == "na":
        assert "immersion" in str(info.value) and f"{kwargs['immersion']:g}" in str(info.value)
