"""Headphones (voice/headphones.py): the jack switch read from `struct input_event` records in real files and
pipes, the setting, and what the voice controller does with them (EN 301 549 5.1.3.9): plugging them in turns
speech on, private texts are said only through them, unplugging puts nothing private on the loudspeaker."""
from __future__ import annotations

import os

import pytest

from kiosk.config import Config, ConfigError, load_config
from kiosk.screen import ATTRACT, DONE, QUESTION, ScreenContent
from translations import text as tr
from voice.script import spell
from voice.headphones import (EV_SW, EV_SYN, SW_HEADPHONE_INSERT, EvdevHeadphones, FakeHeadphones, NoHeadphones,
                              PulseHeadphones, encode_event, find_switch_devices, has_headphone_switch,
                              open_headphones, parse_pactl_sinks)

pytestmark = pytest.mark.timeout(120)

SYN_REPORT = 0
SW_LID, SW_MICROPHONE_INSERT = 0x00, 0x04
EV_KEY = 0x01


def switch(value: int) -> bytes:
    """What the kernel writes when the jack changes: the switch event, then a report."""
    return encode_event(EV_SW, SW_HEADPHONE_INSERT, value, 1700000000, 5) + encode_event(EV_SYN, SYN_REPORT, 0)


# --- the parser, on files and pipes -------------------------------------------------------------------


def test_events_in_a_file_are_read_as_plugs_and_unplugs(tmp_path):
    device = tmp_path / "event7"
    device.write_bytes(b"")
    source = EvdevHeadphones(device)
    heard: list[bool] = []
    source.listeners.append(heard.append)
    assert source.plugged is False  # a plain file has no switch state to ask: unplugged until told
    with open(device, "ab") as f:  # other events around ours are not taken for the jack
        f.write(encode_event(EV_KEY, 115, 1) + encode_event(EV_SW, SW_LID, 1) + encode_event(EV_SW, SW_MICROPHONE_INSERT, 1)
                + switch(1))
    source.poll()
    assert source.plugged is True and heard == [True]
    with open(device, "ab") as f:  # the lid opening, the microphone coming out: not the headphones
        f.write(encode_event(EV_SW, SW_LID, 0) + encode_event(EV_SW, SW_MICROPHONE_INSERT, 0)
                + encode_event(EV_SYN, SYN_REPORT, 0))
    source.poll()
    assert source.plugged is True and heard == [True]
    with open(device, "ab") as f:
        f.write(switch(1) + switch(0))  # the same state twice is one change
    source.poll()
    assert source.plugged is False and heard == [True, False]
    source.poll()  # nothing new: no news
    assert heard == [True, False]
    source.close()


def test_a_record_split_across_reads_is_put_back_together():
    read_end, write_end = os.pipe()
    try:
        source = EvdevHeadphones(f"/dev/fd/{read_end}")
        heard: list[bool] = []
        source.listeners.append(heard.append)
        record = switch(1)
        os.write(write_end, record[:10])
        source.poll()  # half a record: nothing yet, and the read does not block on an empty pipe
        assert heard == [] and source.plugged is False
        os.write(write_end, record[10:])
        source.poll()
        assert heard == [True]
        source.poll()  # an empty pipe with its writer still there: returns at once
        os.write(write_end, switch(0))
        source.poll()
        assert heard == [True, False]
        source.close()
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_device_that_goes_away_reads_as_unplugged(tmp_path):
    device = tmp_path / "event3"
    device.write_bytes(switch(1))
    source = EvdevHeadphones(device)
    source.poll()
    assert source.plugged
    os.close(source._fd)  # the file descriptor dies under it, as when a USB sound card is pulled
    source._fd = os.open(tmp_path, os.O_RDONLY)  # a directory: read fails with EISDIR
    source.poll()
    assert source.plugged is False and source._fd is None
    source.poll()  # and it stays quiet


def test_switch_capabilities_and_discovery_on_a_sysfs_tree(tmp_path):
    assert has_headphone_switch("4") and has_headphone_switch("0 14") and has_headphone_switch("d4")
    assert not has_headphone_switch("1") and not has_headphone_switch("") and not has_headphone_switch("zz")
    sys_root, dev_root = tmp_path / "sys", tmp_path / "dev"
    for name, sw in (("event2", "1"), ("event10", "14"), ("event4", "4"), ("event5", None)):
        caps = sys_root / name / "device" / "capabilities"
        caps.mkdir(parents=True)
        if sw is not None:
            (caps / "sw").write_text(sw + "\n")
    assert find_switch_devices(sys_root, dev_root) == [dev_root / "event4", dev_root / "event10"]
    # "auto" opens the first one it can read.
    dev_root.mkdir()
    (dev_root / "event10").write_bytes(switch(1))
    source = open_headphones("auto", sys_root=sys_root, dev_root=dev_root)
    assert isinstance(source, EvdevHeadphones) and source.path == dev_root / "event10"
    source.poll()
    assert source.plugged
    source.close()
    assert isinstance(open_headphones("none"), NoHeadphones)
    assert isinstance(open_headphones(f"evdev:{tmp_path / 'missing'}"), NoHeadphones)


def test_pulseaudio_active_port():
    sinks = ("Sink #0\n\tName: alsa_output.pci-0000_00_1f.3.analog-stereo\n\tPorts:\n"
             "\t\tanalog-output-speaker: Speakers (type: Speaker, priority: 10000, availability unknown)\n"
             "\t\tanalog-output-headphones: Headphones (type: Headphones, priority: 9900, available)\n")
    assert parse_pactl_sinks(sinks + "\tActive Port: analog-output-headphones\n")
    assert not parse_pactl_sinks(sinks + "\tActive Port: analog-output-speaker\n")
    silent = PulseHeadphones(pactl="/nonexistent/pactl")  # no sound server to ask: unplugged, and says so
    assert silent.plugged is False and silent.answers is False


def test_the_setting(tmp_path):
    assert Config(data_dir=tmp_path, raw={}).voice.headphones == "auto"
    for value in ("none", "pulse", "evdev:/dev/input/event5"):
        path = tmp_path / "kiosk.toml"
        path.write_text(f'[voice]\nheadphones = "{value}"\n', encoding="utf-8")
        assert load_config(path).voice.headphones == value
    path.write_text('[voice]\nheadphones = "/dev/input/event5"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="headphones"):
        load_config(path)


# --- the controller -------------------------------------------------------------------------------------

NAME = ScreenContent(QUESTION, "en", "Your name", personal=True, answer="Zeferino Canario", question_type="text")
THANKS = ScreenContent(DONE, "en", "Thank you.", reference="K7Q2M9")


@pytest.fixture
def make(qtbot, tmp_path):
    from ui.voice_bridge import VoiceController
    from voice.audio_qt import WavFileSource
    from voice.recognizer import ModelStore
    made = []

    def build(headphones, enabled=False):
        config = Config(data_dir=tmp_path / "data", raw={})
        c = VoiceController(config, audio_input=WavFileSource(realtime=False),
                            models=ModelStore(tmp_path / "data"), enabled=enabled, headphones=headphones)
        c.asked = []  # every text handed to the speaker, with its privacy
        original = c.speaker.say

        def say(text, language, rate, private):
            c.asked.append((text, private))
            original(text, language, rate, private)
        c.speaker.say = say
        made.append(c)
        return c
    yield build
    for c in made:
        c.close()


def test_plugging_headphones_in_turns_speech_on_and_the_wipe_turns_it_back(make):
    phones = FakeHeadphones()
    c = make(phones)
    c.show(ScreenContent(ATTRACT, "en", "Welcome"))
    c.show(NAME)
    assert not c.enabled and c.asked == []
    phones.plug()
    assert c.enabled and not c.headphonesHint
    text, private = c.asked[-1]
    assert text.startswith("Your name") and tr("en", "voice.headphones") not in text  # they already have them
    c.show(ScreenContent(ATTRACT, "en", "Welcome"))  # the wipe: the next citizen starts with the defaults
    assert not c.enabled


def test_private_texts_only_through_headphones(make):
    phones = FakeHeadphones()
    c = make(phones, enabled=True)
    c.show(NAME)
    c.readPersonalAnswer()
    text, private = c.asked[-1]
    assert "Canario" not in text and tr("en", "voice.private_answer") in text and text.startswith("Your name")
    c.sayText("Your name, text field, Zeferino Canario.")  # the focused field, said some other way
    assert "Canario" not in c.asked[-1][0]
    c.show(THANKS)
    assert "K, 7" not in c.asked[-1][0] and tr("en", "voice.private_reference") in c.asked[-1][0]
    assert c.asked[-1][0].startswith("Thank you.")
    c.sayText("Reference K7Q2-M9, text.")  # the reference said some other way (a focused label)
    assert "K7Q2" not in c.asked[-1][0] and c.asked[-1][0].startswith("Reference on the screen")
    # A paused journey's code opens the citizen's answers: the rest of the card is said, not the code.
    body = tr("en", "drafts.spoken_code", characters=spell("XA7R9K")) + "\nWrite it down."
    c.show(ScreenContent("paused", "en", "Your answers are kept", body=body, reference="XA7R9K"))
    said = c.asked[-1][0]
    assert "X, A, 7" not in said and tr("en", "voice.private_reference") in said and "Write it down." in said
    phones.plug()
    c.listenAgain()
    assert "X, A, 7, R, 9, K" in c.asked[-1][0] and c.asked[-1][1] is True
    c.show(THANKS)
    assert "K, 7, Q, 2, M, 9" in c.asked[-1][0] and c.asked[-1][1] is True
    c.show(NAME)
    c.readPersonalAnswer()
    assert "Zeferino Canario" in c.asked[-1][0] and c.asked[-1][1] is True


def test_unplugging_stops_private_speech_and_puts_nothing_private_aloud(qtbot, make):
    phones = FakeHeadphones()
    phones.plug()
    c = make(phones, enabled=True)
    c.show(NAME)
    c.readPersonalAnswer()
    assert "Canario" in c.asked[-1][0]
    stopped: list[bool] = []
    original_stop = c.speaker.stop
    c.speaker.stop = lambda: (stopped.append(True), original_stop())
    phones.unplug()
    assert stopped and c.enabled  # the private clip is cut; speech itself stays on
    c.readPersonalAnswer()
    c.listenAgain()
    assert all("Canario" not in text for text, _ in c.asked[-2:])
    # Unplugged while something public is said: that goes on.
    phones.plug()
    c.show(ScreenContent(QUESTION, "en", "Your town"))
    stopped.clear()
    phones.unplug()
    assert stopped == []


def test_the_real_adapter_drives_the_controller(make, tmp_path):
    """Records written to a pipe, read by EvdevHeadphones, turn speech on in the controller."""
    read_end, write_end = os.pipe()
    try:
        phones = EvdevHeadphones(f"/dev/fd/{read_end}")
        c = make(phones)
        assert c._headphones_timer.isActive() and c._headphones_timer.interval() == phones.poll_ms
        c.show(NAME)
        os.write(write_end, switch(1))
        phones.poll()  # what the controller's timer does
        assert c.enabled
        c.readPersonalAnswer()
        assert "Canario" in c.asked[-1][0]
    finally:
        os.close(write_end)
