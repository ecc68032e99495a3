"""Track rules: laps counted at the start line in the driving direction only, lap times, off-track and reset."""

from __future__ import annotations

import math

import pytest

from servo_pkg.pwm_math import Calibration, duty_ns
from sim_pkg.actuation import Actuators
from sim_pkg.pwm_files import PwmReading
from sim_pkg.race import OFF_TRACK_MARGIN_M, Race
from sim_pkg.simulation import MAX_STEP_S, Simulation
from sim_pkg.tracks import REINVENT, SYNTHETIC, Location, load_track

TRACK = load_track(REINVENT)
CALIBRATION = Calibration()


def _drive(race: Race, t0: float, s_from: float, s_to: float, seconds: float, steps: int = 200) -> float:
    """Move the car along the centre line from arc position s_from to s_to (may run past the start line)."""
    for i in range(1, steps + 1):
        s = s_from + (s_to - s_from) * i / steps
        race.observe(t0 + seconds * i / steps, Location(s % TRACK.length, 0.0, 0.0))
    return t0 + seconds


def test_reinvent_track_is_the_real_one():
    assert TRACK.length == pytest.approx(17.71, abs=0.01)
    assert TRACK.width == pytest.approx(0.76, abs=0.01)
    assert load_track(SYNTHETIC).width == pytest.approx(0.60)


def test_a_lap_counts_when_the_start_line_is_crossed_forwards_with_its_time():
    race = Race(TRACK, 100.0)
    t = _drive(race, 100.0, 0.0, TRACK.length - 0.5, 9.0)
    assert race.laps == 0
    t = _drive(race, t, TRACK.length - 0.5, TRACK.length + 0.5, 1.0)
    assert race.laps == 1 and race.lap_times[0] == pytest.approx(9.5, abs=0.05)
    _drive(race, t, 0.5, TRACK.length + 0.5, 12.0)
    # from the first crossing (half-way through the last second) to the second, 0.5 m short of the end
    assert race.laps == 2 and race.lap_times[1] == pytest.approx(0.5 + 12.0 * (TRACK.length - 0.5) / TRACK.length,
                                                                 abs=0.1)


def test_crossing_the_start_line_backwards_and_forwards_again_counts_nothing():
    race = Race(TRACK, 0.0)
    t = _drive(race, 0.0, 0.0, -1.0, 2.0)  # reverse over the start line
    t = _drive(race, t, -1.0, 1.0, 2.0)  # forward over it again
    assert race.laps == 0 and race.state().progress == pytest.approx(100 * 1.0 / TRACK.length, abs=0.1)
    # a whole lap and a bit, with a wiggle back and forth over the line at its end: one lap
    t = _drive(race, t, 1.0, TRACK.length + 0.3, 10.0)
    t = _drive(race, t, TRACK.length + 0.3, TRACK.length - 0.3, 1.0)
    _drive(race, t, TRACK.length - 0.3, TRACK.length + 0.3, 1.0)
    assert race.laps == 1


def test_off_track_beyond_half_the_width_plus_half_the_wheel_track():
    race = Race(TRACK, 0.0)
    limit = TRACK.width / 2 + OFF_TRACK_MARGIN_M
    assert not race.observe(0.1, Location(0.1, limit - 0.005, 0.0)) and race.on_track
    assert race.observe(0.2, Location(0.2, -(limit + 0.005), 0.0)) and not race.on_track
    assert not race.observe(0.3, Location(0.3, -(limit + 0.1), 0.0))  # still off: counted once
    assert race.off_track == 1


def test_leaving_the_track_pauses_then_puts_the_car_back_where_it_left():
    """Full left lock from the start line: on the re:Invent track's first straight that leaves the track."""
    sim = Simulation(TRACK, Actuators(CALIBRATION, 1.0), 0.0, reset_pause_s=2.0)
    wires = PwmReading(steering_ns=duty_ns(1.0, CALIBRATION.steering), throttle_ns=duty_ns(1.0, CALIBRATION.throttle))
    t = 0.0
    while sim.snapshot().race.off_track == 0:
        t += 0.02
        sim.step(t, wires)
        assert t < 10, "never left the track"
    left_at = sim.snapshot()
    assert not left_at.race.on_track and left_at.speed_m_s == 0.0
    for _ in range(50):  # 1 s of the 2 s pause: the car stands where it left
        t += 0.02
        sim.step(t, wires)
        assert (sim.snapshot().x, sim.snapshot().y) == (left_at.x, left_at.y)
    for _ in range(51):
        t += 0.02
        sim.step(t, PwmReading(None, None))  # servo unpowered: nothing moves it after the reset
    back = sim.snapshot()
    where = TRACK.locate(back.x, back.y)
    assert back.race.on_track and back.race.off_track == 1 and back.speed_m_s == 0.0
    assert abs(where.lateral) < 1e-6  # on the centre line ...
    assert math.cos(back.yaw - where.heading) == pytest.approx(1.0)  # ... facing the driving direction
    assert 0.0 < where.s < 3.0  # near where it left, not at the start line or further on


def test_reset_brings_the_car_back_to_the_start_line_and_clears_the_race():
    sim = Simulation(TRACK, Actuators(CALIBRATION, 2.0), 0.0)
    straight = PwmReading(CALIBRATION.steering.mid_ns, duty_ns(0.5, CALIBRATION.throttle))
    for i in range(1, 100):
        sim.step(i * 0.02, straight)
    assert sim.snapshot().race.progress > 0
    sim.reset(5.0)
    snap = sim.snapshot()
    x, y, heading = TRACK.point_at(0.0)
    assert (snap.x, snap.y, snap.yaw) == pytest.approx((x, y, heading))
    assert (snap.race.laps, snap.race.off_track, snap.race.progress, snap.speed_m_s) == (0, 0, 0.0, 0.0)


def test_a_stalled_simulator_pauses_the_world_and_says_how_long_its_steps_took():
    """A starved process steps late: a gap longer than MAX_STEP_S is cut short (the car does not jump off the
    track), and the step gaps of the last few seconds tell that it happened."""
    sim = Simulation(TRACK, Actuators(CALIBRATION, 2.0), 0.0)
    straight = PwmReading(CALIBRATION.steering.mid_ns, duty_ns(1.0, CALIBRATION.throttle))
    t = 0.0
    for _ in range(100):  # 2 s at 50 Hz: up to speed on the first straight
        t += 0.02
        sim.step(t, straight)
    before = sim.snapshot()
    assert sim.step_gaps.stats().cut_short == 0 and sim.step_gaps.stats().median_s == pytest.approx(0.02)
    t += 1.0  # the process was stalled for a second
    sim.step(t, straight)
    after = sim.snapshot()
    moved = math.hypot(after.x - before.x, after.y - before.y)
    assert moved <= 2.0 * MAX_STEP_S  # one cut-short step at the top speed at most, not 1 s of driving
    assert after.race.on_track and after.race.off_track == 0
    stats = sim.step_gaps.stats()
    assert stats.longest_s == pytest.approx(1.0) and stats.cut_short == 1
    assert "longest 1000 ms, 1 over 100 ms cut short" in str(stats)
    for _ in range(300):  # 6 s of regular steps: the stall is out of the window
        t += 0.02
        sim.step(t, PwmReading(CALIBRATION.steering.mid_ns, CALIBRATION.throttle.mid_ns))
    assert sim.step_gaps.stats().cut_short == 0 and sim.step_gaps.stats().longest_s == pytest.approx(0.02)


# --- lap times do not count time spent stopped (issue 25, item 8: the first lap counted the wait before Start,
# 26.8 s against 19.2-19.6 s, and a lap spanning a pause counted it: "lap 2: 247.40 s") ----------------------

LOOK_AHEAD_M = 0.4
STEP_S = 0.02


def _follow(sim: Simulation, t: float, seconds: float, throttle: float) -> float:
    """Drive the simulated car for `seconds` as a steady driver would: steer for the centre line a little ahead
    (pure pursuit), hold `throttle` (0: neutral, the car stopped by its driver)."""
    for _ in range(round(seconds / STEP_S)):
        t += STEP_S
        snap = sim.snapshot()
        where = TRACK.locate(snap.x, snap.y)
        ahead_x, ahead_y, _ = TRACK.point_at((where.s + LOOK_AHEAD_M) % TRACK.length)
        bearing = math.atan2(ahead_y - snap.y, ahead_x - snap.x) - snap.yaw
        bearing = math.atan2(math.sin(bearing), math.cos(bearing))
        wheel = math.atan(2 * sim.vehicle.wheelbase_m * math.sin(bearing) / LOOK_AHEAD_M)
        angle = max(-1.0, min(1.0, wheel / math.radians(30)))
        sim.step(t, PwmReading(duty_ns(angle, CALIBRATION.steering), duty_ns(throttle, CALIBRATION.throttle)))
    return t


def _first_lap_s(wait_s: float = 0.0, pause_at_s: float | None = None, pause_s: float = 0.0) -> float:
    sim = Simulation(TRACK, Actuators(CALIBRATION, 2.0), 0.0)
    t = _follow(sim, 0.0, wait_s, 0.0)  # standing on the start line until Start
    if pause_at_s is not None:
        t = _follow(sim, t, pause_at_s, 0.5)
        t = _follow(sim, t, pause_s, 0.0)  # Stop, then Start again
    while not sim.snapshot().race.laps:
        t = _follow(sim, t, 1.0, 0.5)
        assert t < wait_s + pause_s + 60, f"no lap: {sim.snapshot().race}"
    assert sim.snapshot().race.off_track == 0
    return sim.snapshot().race.lap_times_s[0]


def test_a_lap_time_counts_neither_the_wait_before_start_nor_a_pause():
    driven = _first_lap_s()
    assert 15 < driven < 25  # 17.7 m at about 1 m/s
    assert _first_lap_s(wait_s=7.0) == pytest.approx(driven, abs=0.1)
    # Stopping mid-lap and starting again costs the roll to a stop and the pull-away (the ESC's lag: about 0.9 s
    # here), never the 30 s the car stood.
    assert driven < _first_lap_s(pause_at_s=6.0, pause_s=30.0) < driven + 1.5


def test_the_pause_after_leaving_the_track_stays_on_the_lap_clock():
    """The DeepRacer's penalty for leaving the track is time: the reset pause is driving time, not a stop."""
    driven = _first_lap_s()
    sim = Simulation(TRACK, Actuators(CALIBRATION, 2.0), 0.0, reset_pause_s=2.0)
    t = _follow(sim, 0.0, 3.0, 0.5)
    lock = PwmReading(duty_ns(1.0, CALIBRATION.steering), duty_ns(1.0, CALIBRATION.throttle))
    while not sim.snapshot().race.off_track:  # full lock and full throttle: off the track
        t += STEP_S
        sim.step(t, lock)
        assert t < 10, "never left the track"
    while not sim.snapshot().race.laps:
        t = _follow(sim, t, 1.0, 0.5)
        assert t < 60, f"no lap: {sim.snapshot().race}"
    assert sim.snapshot().race.lap_times_s[0] > driven + 2.0
