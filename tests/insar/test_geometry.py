"""LOS geometry against hand-computed values (REFERENCES.md, "InSAR")."""

import numpy as np
import pytest

from subsidence.insar.geometry import (S1_HEADING, incidence_heading, los_from_azimuth, los_from_heading,
                                       normalise_los, pass_of, project)

S = np.sin(np.radians(39.0))
C = np.cos(np.radians(39.0))


def test_sentinel1_39deg_reference_vectors():
    # REFERENCES.md: ascending (−0.616, −0.131, 0.777), descending (0.616, −0.131, 0.777)
    asc = los_from_heading(39.0, -12.0)
    desc = los_from_heading(39.0, 192.0)
    np.testing.assert_allclose(asc, [-0.616, -0.131, 0.777], atol=6e-4)
    np.testing.assert_allclose(desc, [0.616, -0.131, 0.777], atol=6e-4)
    assert np.linalg.norm(asc) == pytest.approx(1.0)
    assert pass_of(asc) == "ascending" and pass_of(desc) == "descending"


@pytest.mark.parametrize("heading", [S1_HEADING["ascending"], S1_HEADING["descending"]])
def test_pure_vertical_motion(heading):
    # 10 mm uplift seen from 39°: +10 cos 39° = 7.771 mm towards the satellite, either pass
    e = los_from_heading(39.0, heading)
    assert project(e, 0.0, 0.0, 0.010) == pytest.approx(0.010 * C, abs=1e-12)
    assert project(e, 0.0, 0.0, 0.010) == pytest.approx(0.0077715, abs=1e-7)
    # subsidence is negative LOS
    assert project(e, 0.0, 0.0, -0.010) < 0


def test_pure_east_west_motion():
    # 10 mm eastward: ascending looks east (satellite to the west) → moving away → negative
    hd_a = np.radians(-12.0)
    hd_d = np.radians(192.0)
    asc = project(los_from_heading(39.0, -12.0), 0.010, 0.0, 0.0)
    desc = project(los_from_heading(39.0, 192.0), 0.010, 0.0, 0.0)
    assert asc == pytest.approx(-0.010 * S * np.cos(hd_a), abs=1e-12)  # −6.156 mm
    assert desc == pytest.approx(-0.010 * S * np.cos(hd_d), abs=1e-12)  # +6.156 mm
    assert asc == pytest.approx(-0.0061557, abs=1e-6)
    assert desc == pytest.approx(+0.0061557, abs=1e-6)
    # westward motion flips the sign
    assert project(los_from_heading(39.0, -12.0), -0.010, 0.0, 0.0) == pytest.approx(-asc)


def test_projection_of_time_series_shapes():
    e = los_from_heading(np.array([35.0, 45.0]), -12.0)
    uz = np.array([[0.0, -0.01, -0.02], [0.0, -0.02, -0.04]])
    d = project(e, np.zeros_like(uz), np.zeros_like(uz), uz)
    np.testing.assert_allclose(d, uz * e[:, 2:3])


def test_mintpy_azimuth_convention_matches_heading():
    # MintPy azimuthAngle: ground→satellite azimuth from north, anticlockwise. For a right-looking
    # radar with heading h, the ground→satellite direction has clockwise azimuth h − 90°, i.e.
    # anticlockwise 90° − h.
    for h in (-12.0, 192.0, -15.3, 190.1):
        np.testing.assert_allclose(los_from_azimuth(39.0, 90.0 - h), los_from_heading(39.0, h), atol=1e-12)


def test_left_looking_and_inverse():
    e = los_from_heading(30.0, 10.0, look="left")
    assert e[0] > 0 and e[2] > 0
    inc, hd = incidence_heading(los_from_heading(41.0, -13.5))
    assert inc == pytest.approx(41.0) and hd == pytest.approx(-13.5)


def test_given_components_are_normalised_and_pointed_at_the_satellite():
    e = normalise_los([0.616 * 2, -0.616], [-0.131 * 2, 0.131], [0.777 * 2, -0.777])
    np.testing.assert_allclose(e[0], [0.616, -0.131, 0.777], atol=1e-3)
    np.testing.assert_allclose(e[1], [0.616, -0.131, 0.777], atol=1e-3)  # flipped to point up
