"""Per-view anatomy: for each of the 9 EV9V views, the chambers, walls, valves and vessels.

A view builder draws the per-video anatomy (sizes, positions, texture) from the video's random
stream once and returns a function from the cardiac `BeatState` to a `Scene`. Scenes are in
anatomy units (see shapes.py); the renderer places them in the sector and turns them into pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from echolab.data.synthetic.cycle import BeatState
from echolab.data.synthetic.shapes import (
    Fill,
    Line,
    Shape,
    arc,
    bullet,
    direction_deg,
    ellipse,
    leaflet,
    move_points,
    place,
    ring_wedge,
    ring_wedges,
    tube,
)

VIEW_CLASSES = ("PLHLA", "PMASA", "PMVLSA", "PASA", "A4C", "A5C", "PMPALA", "PPMLSA", "SC4C")
# Identical in a single frame; told apart only by the direction the LV ring turns in.
MOTION_ONLY_PAIR = ("PMASA", "PPMLSA")

# Echogenicity: the fraction of the brightest echo that a tissue returns.
BLOOD = 0.03
VALVE = 0.85
PERICARDIUM = 0.8
VESSEL_WALL = 0.6
LIVER = 0.36
DIAPHRAGM = 0.75


@dataclass(frozen=True)
class Scene:
    shapes: list[Shape]  # in drawing order; later shapes cover earlier ones
    # The LV cavity as drawn; for views that do not show the LV (PASA, PMPALA) the cavity of the
    # LV the cycle drives off-screen, so every view has an LV area curve and ED/ES labels.
    lv_cavity: np.ndarray
    # Apex and mitral annulus midpoint, where the view cuts the LV along its long axis.
    lv_long_axis: np.ndarray | None = None


SceneFunction = Callable[[BeatState], Scene]


@dataclass(frozen=True)
class Heart:
    """Per-video traits shared by all views."""

    shortening: float  # fractional LV narrowing at ES; sets the ejection fraction
    myocardium: float  # echogenicity of muscle
    size: float  # scales chamber dimensions

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Heart:
        return cls(
            shortening=float(np.clip(rng.normal(0.3, 0.07), 0.1, 0.42)),
            myocardium=rng.uniform(0.45, 0.6),
            size=rng.uniform(0.9, 1.1),
        )


def shortening_for_ef(ef_percent: float) -> float:
    """The shortening that gives an ejection fraction (%) measured as the EchoNet writer measures it.

    In the four-chamber views the LV narrows by k and its long axis by 0.4 k at ES, so by the method
    of discs ESV / EDV = (1 - k)^2 (1 - 0.4 k); the traced EF matches 100 (1 - that) to 0.1 points
    (k from 0.05 to 0.5, measured). Inverted on a fine grid: the relation rises monotonically.
    """
    if not 0.0 < ef_percent < 90.0:
        raise ValueError(f"a synthetic ejection fraction must lie in (0, 90) %, got {ef_percent}")
    k = np.linspace(0.0, 0.7, 7001)
    return float(np.interp(ef_percent, 100.0 * (1.0 - (1.0 - k) ** 2 * (1.0 - 0.4 * k)), k))


def _swing(closed_deg: float, open_deg: float, opening: float) -> float:
    """A leaflet's angle between its closed and open positions, turning the short way round."""
    turn = (open_deg - closed_deg + 180.0) % 360.0 - 180.0
    return closed_deg + opening * turn


def _vessel(path, lumen: float, wall: float) -> tuple[Fill, Fill]:
    return Fill(tube(path, lumen + wall), VESSEL_WALL), Fill(tube(path, lumen), BLOOD)


def _semilunar_valve(hinge_a, hinge_b, flow_deg: float, opening: float, width: float) -> list[Line]:
    """Two cusps hinged on opposite vessel walls: they meet mid-lumen when closed and lie along the
    walls (pointing downstream) when open."""
    across = direction_deg(hinge_a, hinge_b)
    length = 0.55 * float(np.linalg.norm(np.subtract(hinge_b, hinge_a)))
    return [
        Line(leaflet(hinge_a, _swing(across, flow_deg, opening), length), VALVE, width),
        Line(leaflet(hinge_b, _swing(across + 180.0, flow_deg, opening), length), VALVE, width),
    ]


def _av_valve(hinge_a, hinge_b, apex, opening: float, width: float) -> list[Line]:
    """Mitral or tricuspid leaflets: tented toward the apex when closed, swung open toward it."""
    across = direction_deg(hinge_a, hinge_b)
    mid = (np.asarray(hinge_a) + np.asarray(hinge_b)) / 2.0
    toward_apex = direction_deg(mid, apex)
    annulus = float(np.linalg.norm(np.subtract(hinge_b, hinge_a)))
    tent = 20.0 if _swing(across, toward_apex, 1.0) < across else -20.0
    return [
        Line(
            leaflet(hinge_a, _swing(across + tent, toward_apex - tent / 2, opening), 0.6 * annulus),
            VALVE,
            width,
        ),
        Line(
            leaflet(hinge_b, _swing(across + 180.0 - tent, toward_apex + tent / 2, opening), 0.5 * annulus),
            VALVE,
            width,
        ),
    ]


# --------------------------------------------------------------------------- four-chamber views


def _four_chamber(rng: np.random.Generator, heart: Heart, *, outflow: bool) -> SceneFunction:
    """Apical 4-chamber anatomy, apex up: LV on the screen's right, RV left, atria below.
    With `outflow` the aortic root appears between the atria (the apical 5-chamber view)."""
    k = heart.shortening
    ivs = rng.uniform(0.03, 0.045)  # septal thickness
    wall = rng.uniform(0.03, 0.042)
    lv_half = rng.uniform(0.11, 0.135) * heart.size
    rv_half = rng.uniform(0.075, 0.095) * heart.size
    base_v = rng.uniform(0.55, 0.6)
    lv_base = np.array([ivs / 2 + 0.95 * lv_half, base_v])
    lv_apex = np.array([lv_base[0] - rng.uniform(0.06, 0.1), rng.uniform(0.12, 0.16)])
    rv_base = np.array([-ivs / 2 - 0.95 * rv_half, base_v + 0.01])
    rv_apex = np.array([rng.uniform(-0.07, -0.03), lv_apex[1] + rng.uniform(0.07, 0.11)])
    atria_bottom = rng.uniform(0.8, 0.86)
    la_half = rng.uniform(0.1, 0.125) * heart.size
    ra_half = rng.uniform(0.09, 0.115) * heart.size
    aorta_half = rng.uniform(0.04, 0.05)
    if outflow:  # the aortic root pushes the atria apart
        la_shift, ra_shift = aorta_half + 0.02, -aorta_half - 0.02
    else:
        la_shift, ra_shift = 0.015, -0.015
    myo = heart.myocardium
    valve_width = 0.014

    def scene(state: BeatState) -> Scene:
        s, a = state.contraction, state.atrial_fill
        # Systole: the walls move in and thicken, and the valve plane descends toward the apex.
        lv_base_t = lv_apex + (lv_base - lv_apex) * (1.0 - 0.4 * k * s)
        rv_base_t = rv_apex + (rv_base - rv_apex) * (1.0 - 0.3 * k * s)
        lv_half_t = lv_half * (1.0 - k * s)
        rv_half_t = rv_half * (1.0 - 0.8 * k * s)
        wall_t = wall * (1.0 + 0.6 * k * s)
        lv_cavity, mitral_septal, mitral_lateral = bullet(lv_apex, lv_base_t, lv_half_t)
        lv_wall, _, _ = bullet(lv_apex + (0, -wall_t), lv_base_t + (0, 0.01), lv_half_t + wall_t)
        rv_cavity, tricuspid_lateral, tricuspid_septal = bullet(rv_apex, rv_base_t, rv_half_t, bluntness=1.4)
        rv_wall, _, _ = bullet(
            rv_apex + (0, -0.6 * wall_t), rv_base_t + (0, 0.01), rv_half_t + 0.6 * wall_t, bluntness=1.4
        )

        # The atria reach up to the valve plane, so that blood is continuous through open valves.
        top = min(lv_base_t[1], rv_base_t[1]) - 0.01
        atrium_height = (atria_bottom - top) / 2.0
        la_w = la_half * (1.0 + 0.15 * a)
        ra_w = ra_half * (1.0 + 0.15 * a)
        la = ((la_shift + la_w, top + atrium_height), (la_w, atrium_height))
        ra = ((ra_shift - ra_w, top + atrium_height), (ra_w, atrium_height))

        ventricles_mid = np.array([(lv_base[0] + lv_half + rv_base[0] - rv_half) / 2.0, base_v - 0.02])
        pericardium = arc(
            ventricles_mid,
            (lv_half + rv_half + ivs / 2 + wall + 0.02, base_v - lv_apex[1] + wall + 0.01),
            180.0,
            360.0,
            24,
        )
        shapes: list[Shape] = [Line(pericardium, PERICARDIUM, 0.022)]
        shapes += [Fill(ellipse(c, (w + 0.02, h + 0.015)), myo * 0.85) for c, (w, h) in (la, ra)]
        shapes += [Fill(lv_wall, myo), Fill(rv_wall, myo)]
        shapes += [Fill(ellipse(c, axes), BLOOD) for c, axes in (la, ra)]
        shapes += [Fill(lv_cavity, BLOOD), Fill(rv_cavity, BLOOD)]
        # Moderator band: the muscle bar from the septum into the RV cavity near its apex.
        band = rv_apex + 0.4 * (rv_base_t - rv_apex)
        shapes.append(
            Line(np.array([band + (0.8 * rv_half_t, -0.02), band - (0.4 * rv_half_t, 0.0)]), myo, 0.012)
        )
        if outflow:
            root = mitral_septal + 0.3 * (mitral_lateral - mitral_septal) + (0.0, -0.03)
            path = np.array([root, root + (-0.015, 0.14), root + (-0.02, 0.3)])
            shapes += _vessel(path, aorta_half, 0.018)
            cusps_at = path[0] + (-0.003, 0.045)
            shapes += _semilunar_valve(
                cusps_at - (aorta_half, 0), cusps_at + (aorta_half, 0), 90.0, state.aortic_open, valve_width
            )
        shapes += _av_valve(mitral_septal, mitral_lateral, lv_apex, state.mitral_open, valve_width)
        shapes += _av_valve(tricuspid_lateral, tricuspid_septal, rv_apex, state.mitral_open, valve_width)
        return Scene(shapes, lv_cavity, np.array([lv_apex, (mitral_septal + mitral_lateral) / 2.0]))

    return scene


def _apical4(rng, heart):
    return _four_chamber(rng, heart, outflow=False)


def _apical5(rng, heart):
    return _four_chamber(rng, heart, outflow=True)


def _subcostal4(rng, heart):
    """The 4-chamber heart seen from below the ribs, through the liver: lying on its side with the
    apex to the right and the RV nearest the probe, deeper and smaller than in the apical view."""
    heart_scene = _four_chamber(rng, heart, outflow=False)
    angle = rng.uniform(68.0, 82.0)
    scale = rng.uniform(0.8, 0.9)
    centre = np.array([rng.uniform(0.0, 0.08), rng.uniform(0.6, 0.66)])
    liver_depth = rng.uniform(0.3, 0.36)
    liver = ellipse((rng.uniform(-0.15, 0.0), liver_depth - 0.45), (1.1, 0.45), rng.uniform(-6.0, 6.0), 60)
    veins = [
        ellipse((rng.uniform(-0.35, 0.25), rng.uniform(0.12, liver_depth - 0.08)), (r, r * 0.8))
        for r in rng.uniform(0.015, 0.035, size=3)
    ]
    liver_edge = liver[(liver[:, 1] > 0.0)]
    liver_edge = liver_edge[np.argsort(liver_edge[:, 0])]
    about = np.array([0.0, 0.45])

    def scene(state: BeatState) -> Scene:
        inner = heart_scene(state)
        shapes: list[Shape] = [
            Fill(liver, LIVER),
            *[Fill(v, BLOOD) for v in veins],
            Line(liver_edge, DIAPHRAGM, 0.025),
        ]
        shapes += place(inner.shapes, angle_deg=angle, scale=scale, about=about, to=centre)
        lv, axis = (
            move_points(p, angle_deg=angle, scale=scale, about=about, to=centre)
            for p in (inner.lv_cavity, inner.lv_long_axis)
        )
        return Scene(shapes, lv, axis)

    return scene


# --------------------------------------------------------------------------- short-axis views


def _textured_ring(rng: np.random.Generator, heart: Heart, *, wedges: int = 24):
    """Echogenicity of each angular piece of an LV wall: smooth variation plus a few bright
    specks, fixed to the muscle so it turns when the ventricle twists."""
    angles = np.linspace(0.0, 2.0 * np.pi, wedges, endpoint=False)
    harmonics = np.arange(1, 6)
    weights = rng.normal(0.0, 1.0, size=5) / harmonics
    phases = rng.uniform(0.0, 2.0 * np.pi, size=5)
    pattern = (weights[:, None] * np.cos(harmonics[:, None] * angles + phases[:, None])).sum(0)
    values = heart.myocardium * (1.0 + 0.35 * pattern / np.abs(pattern).max())
    specks = rng.uniform(0.0, 360.0, size=4), rng.uniform(0.25, 0.75, size=4)
    return values, specks


def _short_axis_lv(rng: np.random.Generator, heart: Heart, *, turn_sign: float) -> SceneFunction:
    """The LV as a ring with papillary muscles and the RV crescent on its upper left.

    The ring and its papillary muscles turn steadily by a random 220-280 degrees per beat, clockwise
    on screen for turn_sign +1 and counter-clockwise for -1: a synthetic stand-in for LV twist whose
    direction is first-order motion (real twist reverses in diastole, so its direction only shows
    together with the contraction phase). The turn is fast enough that the papillary muscles move a
    few pixels between the frames of a clip even at 64 px, so a clip shows the direction at any heart
    rate; at 70-100 degrees per beat it moved about one pixel and no CPU-sized model learned it. The
    starting angle is uniform, so one frame shows nothing of the direction, and the two views draw
    the same pixels in their first frame.
    """
    k = heart.shortening
    centre = np.array([rng.uniform(-0.04, 0.04), rng.uniform(0.47, 0.53)])
    cavity = rng.uniform(0.14, 0.17) * heart.size
    wall = rng.uniform(0.055, 0.07)
    wall_area = np.pi * ((cavity + wall) ** 2 - cavity**2)
    rv_angle = rng.uniform(205.0, 235.0)
    rv_reach = rng.uniform(1.0, 1.2)
    values, (speck_angles, speck_depths) = _textured_ring(rng, heart)
    papillary_angles = np.array([rng.uniform(30.0, 50.0), rng.uniform(140.0, 165.0)])
    start_angle = rng.uniform(0.0, 360.0)
    spin = rng.uniform(220.0, 280.0)
    myo = heart.myocardium
    wedge_span = 360.0 / len(values)

    def scene(state: BeatState) -> Scene:
        s = state.contraction
        inner = cavity * (1.0 - k * s)
        outer = np.sqrt(inner**2 + wall_area / np.pi)  # muscle volume is conserved: walls thicken
        turn = start_angle + turn_sign * spin * state.beats
        rv_dir = np.array([np.cos(np.deg2rad(rv_angle)), np.sin(np.deg2rad(rv_angle))])
        rv_centre = centre + 0.6 * outer * rv_dir
        rv_axes = (outer * rv_reach * (1.0 - 0.25 * k * s), outer * 0.62 * (1.0 - 0.4 * k * s))
        shapes: list[Shape] = [
            Line(arc(centre, outer + 0.035, 25.0, 155.0), PERICARDIUM, 0.022),
            Fill(ellipse(rv_centre, (rv_axes[0] + 0.025, rv_axes[1] + 0.025), rv_angle + 90.0), myo),
            Fill(ellipse(rv_centre, rv_axes, rv_angle + 90.0), BLOOD),
        ]
        # The wall, in textured pieces; it covers the RV cavity's inner edge, leaving a crescent.
        wedges = ring_wedges(centre, inner - 0.005, outer, turn, wedge_span, len(values))
        shapes += [Fill(wedge, value) for wedge, value in zip(wedges, values, strict=True)]
        shapes.append(Fill(ellipse(centre, (inner, inner)), BLOOD))
        for angle in turn + papillary_angles:
            direction = np.array([np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))])
            shapes.append(
                Fill(
                    ellipse(centre + 0.78 * inner * direction, (0.28 * inner, 0.2 * inner), angle, 16),
                    myo * 1.15,
                )
            )
        for angle, depth in zip(turn + speck_angles, speck_depths, strict=True):
            direction = np.array([np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))])
            shapes.append(
                Fill(
                    ellipse(centre + (inner + depth * (outer - inner)) * direction, (0.012, 0.012), 0, 8),
                    VALVE,
                )
            )
        return Scene(shapes, ellipse(centre, (inner, inner)))

    return scene


def _short_axis_apex(rng, heart):
    return _short_axis_lv(rng, heart, turn_sign=+1.0)


def _short_axis_papillary(rng, heart):
    return _short_axis_lv(rng, heart, turn_sign=-1.0)


def _short_axis_mitral(rng: np.random.Generator, heart: Heart) -> SceneFunction:
    """A wide, thin-walled LV ring with the mitral 'fish mouth' that opens in diastole."""
    k = heart.shortening
    centre = np.array([rng.uniform(-0.04, 0.04), rng.uniform(0.47, 0.53)])
    cavity = rng.uniform(0.17, 0.2) * heart.size
    wall = rng.uniform(0.035, 0.048)
    rv_angle = rng.uniform(205.0, 235.0)
    mouth_tilt = rng.uniform(-12.0, 12.0)
    myo = heart.myocardium

    def scene(state: BeatState) -> Scene:
        s = state.contraction
        inner = cavity * (1.0 - 0.7 * k * s)
        outer = inner + wall * (1.0 + 0.5 * k * s)
        rv_dir = np.array([np.cos(np.deg2rad(rv_angle)), np.sin(np.deg2rad(rv_angle))])
        rv_centre = centre + 0.62 * outer * rv_dir
        rv_axes = (outer * 1.1, outer * 0.55 * (1.0 - 0.3 * k * s))
        opening = 0.06 + 0.5 * state.mitral_open
        mouth = ellipse(centre + (0.0, 0.1 * inner), (0.72 * inner, opening * inner), mouth_tilt, 32)
        shapes: list[Shape] = [
            Line(arc(centre, outer + 0.035, 25.0, 155.0), PERICARDIUM, 0.022),
            Fill(ellipse(rv_centre, (rv_axes[0] + 0.025, rv_axes[1] + 0.025), rv_angle + 90.0), myo),
            Fill(ellipse(rv_centre, rv_axes, rv_angle + 90.0), BLOOD),
            Fill(ellipse(centre, (outer, outer)), myo),
            Fill(ellipse(centre, (inner, inner)), BLOOD),
            Line(mouth[16:], VALVE, 0.02),  # anterior leaflet (upper half)
            Line(mouth[:17], VALVE, 0.016),  # posterior leaflet
        ]
        return Scene(shapes, ellipse(centre, (inner, inner)))

    return scene


def _short_axis_great_arteries(rng: np.random.Generator, heart: Heart) -> SceneFunction:
    """The aortic valve's three cusps ('Mercedes sign') in the middle, the RV outflow tract
    wrapping over it into the pulmonary artery on the right, the atria below."""
    k = heart.shortening
    centre = np.array([rng.uniform(-0.04, 0.04), rng.uniform(0.44, 0.5)])
    root = rng.uniform(0.085, 0.1)
    rvot_inner = root + rng.uniform(0.04, 0.055)
    rvot_width = rng.uniform(0.08, 0.11)
    cusp_rotation = rng.uniform(-15.0, 15.0)
    pa_half = rng.uniform(0.045, 0.06)
    la_axes = np.array([rng.uniform(0.17, 0.22), rng.uniform(0.08, 0.11)])
    ra_radius = rng.uniform(0.09, 0.12)
    hidden_lv = rng.uniform(0.14, 0.17) * heart.size
    myo = heart.myocardium

    def scene(state: BeatState) -> Scene:
        s, a = state.contraction, state.atrial_fill
        width = rvot_width * (1.0 - 0.3 * k * s)
        pv_dir = np.deg2rad(-5.0)
        pv = centre + (rvot_inner + width / 2) * np.array([np.cos(pv_dir), np.sin(pv_dir)])
        pa_path = np.array([pv + (0.0, -0.02), pv + (0.06, 0.14), pv + (0.1, 0.3)])
        pa_lumen = pa_half * (1.0 + 0.1 * state.aortic_open)
        la_centre = centre + (0.02, root + 0.03 + la_axes[1])
        ra_centre = centre + (-root - 0.02 - ra_radius, 0.08)
        shapes: list[Shape] = [
            Fill(ellipse(centre + (-0.02, 0.08), (0.45, 0.34)), myo * 0.9),
            Fill(ellipse(la_centre, la_axes * (1.0 + 0.12 * a) + 0.02), myo),
            Fill(ellipse(la_centre, la_axes * (1.0 + 0.12 * a)), BLOOD),
            Fill(ellipse(ra_centre, (ra_radius, ra_radius * 1.1)), BLOOD),
            Fill(ring_wedge(centre, rvot_inner - 0.02, rvot_inner + width + 0.025, 150.0, 362.0, 20), myo),
            Fill(ring_wedge(centre, rvot_inner, rvot_inner + width, 150.0, 358.0, 20), BLOOD),
            *_vessel(pa_path, pa_lumen, 0.016),
            Fill(ellipse(centre, (root + 0.03, root + 0.03)), myo),
            Fill(ellipse(centre, (root, root)), BLOOD),
            Line(ellipse(centre, (root, root)), VESSEL_WALL, 0.014, closed=True),
        ]
        shapes += _mercedes(centre, root, cusp_rotation, state.aortic_open)
        shapes += _semilunar_valve(
            pa_path[0] + (-pa_lumen, 0.03), pa_path[0] + (pa_lumen, 0.0), 70.0, state.aortic_open, 0.012
        )
        tricuspid = ra_centre + (0.02, -ra_radius)
        shapes.append(Line(leaflet(tricuspid, -60.0 - 50.0 * state.mitral_open, 0.08), VALVE, 0.014))
        return Scene(shapes, ellipse(centre, (hidden_lv * (1.0 - k * s),) * 2))

    return scene


def _mercedes(centre, radius: float, rotation: float, opening: float) -> list[Line]:
    """Three aortic cusps: their free edges meet in a 'Y' when closed, and pull back to the wall,
    leaving a triangular opening, in systole."""
    lines = []
    for cusp in range(3):
        middle = rotation + 90.0 + 120.0 * cusp
        ends = [middle - 60.0, middle + 60.0]
        edge = [centre + radius * np.array([np.cos(np.deg2rad(e)), np.sin(np.deg2rad(e))]) for e in ends]
        mid_dir = np.array([np.cos(np.deg2rad(middle)), np.sin(np.deg2rad(middle))])
        tip = centre + 0.7 * radius * opening * mid_dir
        lines.append(Line(np.array([edge[0], tip, edge[1]]), VALVE, 0.014))
    return lines


# --------------------------------------------------------------------------- parasternal long axes


def _long_axis(rng: np.random.Generator, heart: Heart) -> SceneFunction:
    """Parasternal long axis: RV outflow on top, septum, the LV lying across the screen (apex on
    the left, often cut by the sector edge), the aorta leaving it to the upper right with the LA
    beneath the aortic root, and the mitral valve between LA and LV."""
    k = heart.shortening
    tilt = rng.uniform(-12.0, -4.0)
    about = np.array([0.0, 0.48])
    centre = np.array([rng.uniform(-0.2, -0.14), rng.uniform(0.48, 0.52)])
    length = rng.uniform(0.3, 0.36) * heart.size
    half = rng.uniform(0.095, 0.115) * heart.size
    rv_half = rng.uniform(0.05, 0.07)
    ivs = rng.uniform(0.03, 0.045)
    wall = rng.uniform(0.035, 0.05)
    aorta_half = rng.uniform(0.05, 0.065)
    aorta_angle = rng.uniform(-18.0, -8.0)
    la_radius = rng.uniform(0.085, 0.11) * heart.size
    # The aortic root and the mitral annulus sit on the fibrous skeleton: they barely move.
    heading = np.array([np.cos(np.deg2rad(aorta_angle)), np.sin(np.deg2rad(aorta_angle))])
    normal = np.array([-heading[1], heading[0]])  # points down-left, toward the LA
    root = centre + (0.82 * length, -0.45 * half)
    aorta_path = np.array([root - 0.03 * heading, root + 0.25 * heading, root + 0.6 * heading])
    root_top, root_bottom = root - aorta_half * normal, root + aorta_half * normal
    posterior_hinge = centre + (0.78 * length, 0.98 * half)
    la_centre = root_bottom + (0.06, 0.03 + la_radius)
    myo = heart.myocardium

    def scene(state: BeatState) -> Scene:
        s, a = state.contraction, state.atrial_fill
        half_t = half * (1.0 - k * s)
        length_t = length * (1.0 - 0.25 * k * s)
        wall_t = wall * (1.0 + 0.6 * k * s)
        rv_t = rv_half * (1.0 - 0.3 * k * s)
        # The cavity: an ellipse whose basal end opens into the outflow tract and the annulus.
        t = np.linspace(np.arccos(0.55), 2.0 * np.pi - np.arccos(0.55), 40)
        body = np.stack([centre[0] + length_t * np.cos(t), centre[1] + half_t * np.sin(t)], axis=1)
        lv = np.concatenate([body, [root_top, root_bottom, posterior_hinge]])
        rv_centre = (centre[0] + 0.08, centre[1] - half - ivs - rv_t)
        la_r = la_radius * (1.0 + 0.15 * a)
        mitral = _av_valve(root_bottom, posterior_hinge, centre - (length_t, 0.0), state.mitral_open, 0.014)
        cusps_at = root + 0.03 * heading
        shapes: list[Shape] = [
            Fill(ellipse(centre + (0.12, -0.03), (length + 0.2, half + 2 * rv_half + ivs + 0.08)), myo),
            Line(
                arc(centre + (0.05, 0.0), (length + 0.04, half_t + wall_t + 0.02), 25.0, 150.0, 20),
                PERICARDIUM,
                0.025,
            ),
            Fill(ellipse(rv_centre, (length + 0.12, rv_t)), BLOOD),
            Fill(ellipse(la_centre, (la_r + 0.02,) * 2), myo * 0.9),
            Fill(tube(aorta_path, aorta_half + 0.02), VESSEL_WALL),
            Fill(ellipse(la_centre, (la_r,) * 2), BLOOD),
            Fill(lv, BLOOD),
            Fill(tube(aorta_path, aorta_half), BLOOD),
            Fill(ellipse(la_centre + (-0.05, la_r + 0.1), (0.035, 0.035)), BLOOD),  # descending aorta
            *mitral,
            *_semilunar_valve(
                cusps_at - aorta_half * normal,
                cusps_at + aorta_half * normal,
                aorta_angle,
                state.aortic_open,
                0.014,
            ),
        ]
        axis = np.array([centre - (length_t, 0.0), (root_bottom + posterior_hinge) / 2.0])
        lv, axis = (move_points(p, angle_deg=tilt, scale=1.0, about=about, to=about) for p in (lv, axis))
        return Scene(place(shapes, angle_deg=tilt, scale=1.0, about=about, to=about), lv, axis)

    return scene


def _pulmonary_long_axis(rng: np.random.Generator, heart: Heart) -> SceneFunction:
    """The RV outflow tract leading through the pulmonary valve into the main pulmonary artery,
    which divides into its right and left branches (a 'Y'); the aorta in cross-section beside it."""
    k = heart.shortening
    valve = np.array([rng.uniform(0.04, 0.12), rng.uniform(0.34, 0.4)])
    trunk = rng.uniform(0.17, 0.23)
    trunk_angle = rng.uniform(65.0, 80.0)
    split = rng.uniform(55.0, 75.0)  # angle between the branches
    pa_half = rng.uniform(0.048, 0.06)
    branch_half = pa_half * rng.uniform(0.65, 0.8)
    aorta_centre = valve + (rng.uniform(-0.28, -0.22), rng.uniform(0.14, 0.2))
    aorta_radius = rng.uniform(0.065, 0.085)
    hidden_lv = rng.uniform(0.14, 0.17) * heart.size
    myo = heart.myocardium

    def scene(state: BeatState) -> Scene:
        s = state.contraction
        widen = 1.0 + 0.1 * state.aortic_open
        direction = np.deg2rad(trunk_angle)
        fork = valve + trunk * np.array([np.cos(direction), np.sin(direction)])
        branches = []
        for angle in (trunk_angle + split, trunk_angle - split):
            heading = np.array([np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))])
            branches.append(np.array([fork, fork + 0.14 * heading, fork + 0.3 * heading]))
        rvot = ellipse(valve + (-0.14, -0.08), (0.22, 0.08 * (1.0 - 0.3 * k * s)), 25.0)
        trunk_path = np.array([valve + (-0.02, -0.04), valve, fork])
        shapes: list[Shape] = [
            Fill(ellipse(valve + (-0.05, 0.12), (0.45, 0.32), 10.0), myo * 0.85),
            Fill(ellipse(valve + (-0.14, -0.08), (0.25, 0.11), 25.0), myo),
            Fill(rvot, BLOOD),
            Fill(tube(trunk_path, pa_half * widen + 0.018), VESSEL_WALL),
            *[Fill(tube(b, branch_half * widen + 0.016), VESSEL_WALL) for b in branches],
            Fill(tube(trunk_path, pa_half * widen), BLOOD),
            *[Fill(tube(b, branch_half * widen), BLOOD) for b in branches],
            Fill(ellipse(aorta_centre, (aorta_radius + 0.02,) * 2), VESSEL_WALL),
            Fill(ellipse(aorta_centre, (aorta_radius,) * 2), BLOOD),
        ]
        across = np.array([-np.sin(direction), np.cos(direction)]) * pa_half * widen
        shapes += _semilunar_valve(valve - across, valve + across, trunk_angle, state.aortic_open, 0.013)
        return Scene(shapes, ellipse((0.0, 0.5), (hidden_lv * (1.0 - k * s),) * 2))

    return scene


# A view: its builder and the imaging depth (cm) a sonographer typically sets for it.
VIEWS: dict[str, tuple[Callable[[np.random.Generator, Heart], SceneFunction], float]] = {
    "PLHLA": (_long_axis, 15.0),
    "PMASA": (_short_axis_apex, 14.0),
    "PMVLSA": (_short_axis_mitral, 14.0),
    "PASA": (_short_axis_great_arteries, 14.0),
    "A4C": (_apical4, 17.0),
    "A5C": (_apical5, 17.0),
    "PMPALA": (_pulmonary_long_axis, 14.0),
    "PPMLSA": (_short_axis_papillary, 14.0),
    "SC4C": (_subcostal4, 18.0),
}
