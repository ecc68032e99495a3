"""fleet.txt: the lines organisers write, the mistakes they make, and the password kept out of sight."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet_pkg.settings import SettingsError, find_settings_file, parse_settings, read_settings


def test_a_full_file_with_comments_quotes_and_mixed_case_keys() -> None:
    settings = parse_settings("# event broker\nBroker: 192.168.8.10\nport: 1884\nUsername: car3\n"
                              "password: 'p#ss: word'\nname: \"Car 3 (blue)\"\n\n")
    assert (settings.broker, settings.port, settings.tls, settings.username, settings.password, settings.name) == \
        ("192.168.8.10", 1884, False, "car3", "p#ss: word", "Car 3 (blue)")
    assert settings.car_id("serial-1") == "car3"


def test_tls_defaults_to_port_8883_and_a_ca_file_must_exist(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("x")
    settings = parse_settings(f"broker: broker.event.lan\ntls: yes\nca_file: {ca}\nusername: car1\n")
    assert settings.tls and settings.port == 8883 and settings.ca_file == str(ca)
    with pytest.raises(SettingsError, match="does not exist"):
        parse_settings(f"broker: b\ntls: on\nca_file: {tmp_path / 'missing.crt'}")


def test_the_password_is_never_in_the_settings_repr() -> None:
    settings = parse_settings("broker: b\nusername: car1\npassword: hunter2-secret\n")
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)


@pytest.mark.parametrize(("text", "words"), [
    ("", "'broker: <address of the event's MQTT broker>' is missing"),
    ("port: 1883", "is missing"),
    ("broker 192.168.8.10", "line 1: expected 'key: value'"),
    ("broker: b\npasword: x", "line 2: unknown key 'pasword'"),
    ("broker: b\nbroker: c", "line 2: broker is given twice"),
    ("broker: b\nport: 0", "port must be a number from 1 to 65535, got '0'"),
    ("broker: b\nport: 70000", "port must be a number"),
    ("broker: b\nport: ١٨٨٣", "port must be a number"),  # Arabic-Indic digits pass str.isdigit
    ("broker: b\ntls: maybe", "tls must be yes or no"),
    ("broker: b\nca_file: /x", "tls is off"),
    ("broker: b; rm -rf /", "is not a host name or address"),
    ("broker: b\nusername: car/1", "username 'car/1' names the car's topics"),
    ("broker: b\nusername: all", "not 'all'"),
    ("broker: b\nusername: car+", "names the car's topics"),
    ("broker: b\npassword: x", "a password is given without a username"),
])
def test_mistakes_are_named_with_the_line_and_the_fix(text: str, words: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(text, "fleet.txt")
    assert words in str(caught.value)


def test_a_password_in_a_bad_file_is_not_repeated_in_the_error() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings("broker: b\npassword: hunter2-secret\n")
    assert "hunter2" not in str(caught.value)


def test_without_a_username_the_car_id_is_a_topic_safe_form_of_its_name_or_serial() -> None:
    assert parse_settings("broker: b\nname: Car 3 (blue)").car_id("x") == "Car-3-blue"
    assert parse_settings("broker: b").car_id("SN 0042/7") == "SN-0042-7"
    assert parse_settings("broker: b\nname: all").car_id("") == "deepracer"


def test_the_data_dir_file_wins_over_a_usb_stick_and_a_stick_is_found_at_either_depth(tmp_path: Path) -> None:
    data_file, media = tmp_path / "data" / "fleet.txt", tmp_path / "media"
    assert find_settings_file(data_file, media) is None
    stick = media / "deepracer" / "STICK"
    stick.mkdir(parents=True)
    (stick / "fleet.txt").write_text("broker: from-usb\n")
    assert read_settings(find_settings_file(data_file, media)).broker == "from-usb"
    data_file.parent.mkdir()
    data_file.write_text("broker: from-data\n")
    assert find_settings_file(data_file, media) == data_file
    assert find_settings_file(tmp_path / "nope" / "fleet.txt", None) is None


def test_an_unreadable_or_binary_file_is_refused_in_words(tmp_path: Path) -> None:
    binary = tmp_path / "fleet.txt"
    binary.write_bytes(b"\xff\xfe\x00broker")
    with pytest.raises(SettingsError, match="is not UTF-8 text"):
        read_settings(binary)
    huge = tmp_path / "huge.txt"
    huge.write_text("#" * 20_000)
    with pytest.raises(SettingsError, match="larger than 16 KB"):
        read_settings(huge)
