"""Fleet metrics: the textfile node_exporter reads, and a real Prometheus Pushgateway reading them back."""
from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kiosk.config import config_from_dict
from offline_queue import open_outbox
from operations.metrics import MetricsError, collect, push_metrics, render, write_textfile
from tests.queue_fixtures import free_port, make_queue_config, sample_payload

PUSHGATEWAY = shutil.which("prometheus-pushgateway")


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def queue_with_history(tmp_path: Path, extra: dict | None = None):
    """An outbox with one delivered, one waiting and one dead submission, all carrying recognisable personal data."""
    config, _ = make_queue_config(tmp_path, destinations={"registry": {"url": "http://127.0.0.1:9"}})
    if extra:
        config = config_from_dict({**config.raw, **extra}, base=tmp_path)
    destination = config.destinations["registry"]
    with open_outbox(config) as outbox:
        for reference in ("DELIV111", "DEADX222", "WAITY333"):
            outbox.enqueue(sample_payload(reference), destination)
        claimed = {c.item.reference: c.item.id for c in outbox.claim(10)}
        outbox.mark_delivered([(claimed["DELIV111"], "case-1")])
        outbox.mark_dead(claimed["DEADX222"], "HTTP 422")
        outbox.release([claimed["WAITY333"]])
    return config


def test_collect_countsAgesAndLastDelivery_withoutPersonalData(tmp_path):
    config = queue_with_history(tmp_path)
    before = time.time()
    text = render(collect(config, doctor=False, now=before + 100))
    values = samples(text)
    assert values[("ponte_queue_submissions", (("state", "delivered"),))] == 1
    assert values[("ponte_queue_submissions", (("state", "dead"),))] == 1
    assert values[("ponte_queue_submissions", (("state", "queued"),))] == 1
    assert values[("ponte_queue_submissions", (("state", "sending"),))] == 0
    assert values[("ponte_queue_oldest_waiting_age_seconds", ())] >= 100
    delivered_at = values[("ponte_destination_last_delivery_timestamp_seconds", (("destination", "registry"),))]
    assert before - 60 < delivered_at <= before + 1
    assert values[("ponte_disk_free_bytes", ())] > 0
    assert ("ponte_build_info", (("version", "0.1.0"),)) in values or any(k[0] == "ponte_build_info" for k in values)
    assert values[("ponte_catalogue_services", ())] == 4  # the sample services
    for personal in ("Maria", "Canary", "Rua do", "DELIV111", "WAITY333", "DEADX222", "case-1", "HTTP 422"):
        assert personal not in text


def test_collect_emptyOrMissingQueue_isZeros(tmp_path):
    config, _ = make_queue_config(tmp_path)
    values = samples(render(collect(config, doctor=False)))
    assert values[("ponte_queue_submissions", (("state", "queued"),))] == 0
    assert values[("ponte_queue_oldest_waiting_age_seconds", ())] == 0


def test_collect_withDoctor_oneStateSetPerCheck(tmp_path):
    config = queue_with_history(tmp_path)
    values = samples(render(collect(config, doctor=True)))
    disk = {dict(k[1])["ponte_doctor_check"]: v for k, v in values.items()
            if k[0] == "ponte_doctor_check" and dict(k[1]).get("check") == "disk"}
    assert sum(disk.values()) == 1 and set(disk) == {"ok", "warn", "fail", "skip"}
    names = {dict(k[1])["check"] for k in values if k[0] == "ponte_doctor_check"}
    assert "destination registry" in names and "database queue.db" in names
    assert "display" not in names  # needs the kiosk's screen session: left to `kiosk doctor`


def test_textfile_isReplacedAtomically_andParses(tmp_path):
    config = queue_with_history(tmp_path)
    target = tmp_path / "textfile" / "ponte.prom"
    target.parent.mkdir()
    target.write_text("# old content\n")
    write_textfile(collect(config, doctor=False), target)
    text = target.read_text()
    assert "ponte_queue_submissions" in text and "old content" not in text
    assert sorted(p.name for p in target.parent.iterdir()) == ["ponte.prom"]  # no temporary file left
    samples(text)  # parses as the exposition format


def test_textfile_missingFolder_isOneClearError(tmp_path):
    config, _ = make_queue_config(tmp_path)
    with pytest.raises(MetricsError, match="does not exist: create it"):
        write_textfile(collect(config, doctor=False), tmp_path / "nowhere" / "ponte.prom")


def test_push_unreachableGateway_isOneClearError(tmp_path):
    config = queue_with_history(tmp_path, {"metrics": {"pushgateway_url": f"http://127.0.0.1:{free_port()}"}})
    with pytest.raises(MetricsError, match="cannot push to"):
        push_metrics(collect(config, doctor=False), config, timeout=5)


@pytest.fixture
def pushgateway(tmp_path):
    """Debian's prometheus-pushgateway on a free loopback port, as a subprocess."""
    if PUSHGATEWAY is None:
        pytest.skip("prometheus-pushgateway is not installed (apt-get install prometheus-pushgateway; "
                    "packaging/setup-debian.sh --tests does it)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"pushgateway did not start: {process.stderr.read().decode()[-500:]}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_push_toRealPushgateway_readBackOverHttp(tmp_path, pushgateway):
    config = queue_with_history(tmp_path, {"kiosk": {"data_dir": str(tmp_path / "data"), "id": "lisboa-03"},
                                           "metrics": {"pushgateway_url": pushgateway, "job": "ponte_kiosk"}})
    push_metrics(collect(config, doctor=True), config)
    with urllib.request.urlopen(f"{pushgateway}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    values = samples(text)
    grouping = (("instance", "lisboa-03"), ("job", "ponte_kiosk"))
    assert values[("ponte_queue_submissions", tuple(sorted((*grouping, ("state", "queued")))))] == 1
    assert values[("ponte_queue_submissions", tuple(sorted((*grouping, ("state", "dead")))))] == 1
    assert ("ponte_destination_last_delivery_timestamp_seconds",
            tuple(sorted((*grouping, ("destination", "registry"))))) in values
    assert any(k[0] == "ponte_doctor_check" and ("check", "disk") in k[1] for k in values)
    assert "Maria" not in text and "WAITY333" not in text


def test_command_metrics_writesTextfile_andDoctorJson(tmp_path, capsys):
    from commands.cli import main
    config = queue_with_history(tmp_path)
    path = tmp_path / "kiosk.toml"
    _write_toml(path, config.raw)
    target = tmp_path / "ponte.prom"
    assert main(["--config", str(path), "metrics", "--no-doctor", "--textfile", str(target)]) == 0
    assert samples(target.read_text())[("ponte_queue_submissions", (("state", "dead"),))] == 1
    capsys.readouterr()
    code = main(["--config", str(path), "doctor", "--json"])
    import json
    report = json.loads(capsys.readouterr().out)
    assert code == (1 if report["status"] == "fail" else 0)
    assert any(c["name"] == "destination registry" and c["status"] == "fail" for c in report["checks"])


def _write_toml(path: Path, raw: dict) -> None:
    lines = []
    for section, table in raw.items():
        if section == "destinations":
            for name, spec in table.items():
                lines.append(f'[destinations."{name}"]')
                lines += [f"{k} = {_toml(v)}" for k, v in spec.items()]
            continue
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
    path.write_text("\n".join(lines) + "\n")


def _toml(value) -> str:
    import json
    return "true" if value is True else "false" if value is False else json.dumps(value)
