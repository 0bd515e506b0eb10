"""Every pictogram has a known source and licence, listed beside it, and always goes with words.

The samples' folder lists each of its SVG files in LICENSES.toml; `kiosk services check` reports a pictogram a
service uses that is not listed (file, line, place), and one whose text is missing in a language.
"""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.definition import load_catalogue, load_service
from kiosk.pictograms import LICENCE_FILE, folder_problems, licence_problems, read_licences

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "kiosk" / "services"
PICTOGRAMS = SERVICES / "pictograms"


def project_licence() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["license"]


def test_every_pictogram_of_the_samples_is_listed_with_source_and_licence():
    assert folder_problems(PICTOGRAMS) == []
    licences, problems = read_licences(PICTOGRAMS)
    assert problems == []
    assert set(licences) == {p.name for p in PICTOGRAMS.glob("*.svg")}
    for entry in licences.values():
        assert entry.shows, entry.file  # what it shows, for the people who maintain services
        if entry.source == "drawn for Ponte":
            assert entry.licence == project_licence(), entry.file


def test_the_sample_services_pictograms_are_listed_and_go_with_words():
    catalogue = load_catalogue([SERVICES])
    assert len(catalogue.services) >= 4
    assert licence_problems(catalogue.services.values()) == []


def test_an_svg_added_without_an_entry_or_an_entry_without_its_file_is_reported(tmp_path):
    folder = tmp_path / "pictograms"
    shutil.copytree(PICTOGRAMS, folder)
    (folder / "new-one.svg").write_text((PICTOGRAMS / "none.svg").read_text())
    (folder / "gas.svg").unlink()
    problems = folder_problems(folder)
    assert any("new-one.svg: not listed" in p for p in problems), problems
    assert any("lists gas.svg, which is not in the folder" in p for p in problems), problems


def test_an_entry_without_a_licence_or_a_broken_list_is_reported(tmp_path):
    (tmp_path / LICENCE_FILE).write_text('["a.svg"]\nsource = "somewhere on the web"\n', encoding="utf-8")
    licences, problems = read_licences(tmp_path)
    assert licences == {} and "has no licence" in problems[0]
    (tmp_path / LICENCE_FILE).write_text('["a.svg"\nsource = \n', encoding="utf-8")
    assert "not valid TOML" in read_licences(tmp_path)[1][0]


def test_a_pictogram_without_words_in_a_language_is_reported():
    service = load_service(SERVICES / "disabled-parking-card.yaml")
    driver = service.page("driver")
    option = dataclasses.replace(driver.options[0], label={k: v for k, v in driver.options[0].label.items()
                                                           if k != "ar"})
    page = dataclasses.replace(driver, options=(option, *driver.options[1:]))
    broken = dataclasses.replace(service, pages=tuple(page if p.id == "driver" else p for p in service.pages))
    (problem,) = licence_problems([broken])
    index = [p.id for p in service.pages].index("driver")
    assert problem.pointer == f"/pages/{index}/options/0/pictogram"
    assert "person-me.svg" in problem.message and "no text beside it in ar" in problem.message


@pytest.mark.timeout(60)
def test_services_check_fails_on_a_pictogram_not_listed_with_file_and_line(tmp_path):
    folder = tmp_path / "services"
    (folder / "pictograms").mkdir(parents=True)
    shutil.copy(SERVICES / "disabled-parking-card.yaml", folder)
    for name in ("disabled-parking-card.svg", "person-me.svg", "other-person.svg", "proof-of-address.svg",
                 "signature.svg"):
        shutil.copy(PICTOGRAMS / name, folder / "pictograms")
    licences = (PICTOGRAMS / LICENCE_FILE).read_text(encoding="utf-8")
    (folder / "pictograms" / LICENCE_FILE).write_text(licences, encoding="utf-8")

    done = subprocess.run([sys.executable, "-m", "commands", "services", "check", str(folder)],
                          capture_output=True, text=True, cwd=ROOT, timeout=50)
    assert done.returncode == 0, done.stdout + done.stderr

    # The copied list names every sample pictogram; drop the signature's entry.
    start = licences.index('["signature.svg"]')
    end = licences.index("\n\n", start) if "\n\n" in licences[start:] else len(licences)
    (folder / "pictograms" / LICENCE_FILE).write_text(licences[:start] + licences[end:], encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "commands", "services", "check", str(folder)],
                          capture_output=True, text=True, cwd=ROOT, timeout=50)
    assert done.returncode == 1
    (line,) = done.stdout.splitlines()
    source = (folder / "disabled-parking-card.yaml").read_text(encoding="utf-8").splitlines()
    where, message = line.split(": ", 1)
    index = [p.id for p in load_service(SERVICES / "disabled-parking-card.yaml").pages].index("signature")
    assert where.startswith(str(folder / "disabled-parking-card.yaml") + ":") and f"(/pages/{index}/pictogram)" in where
    assert "pictograms/signature.svg" in source[int(where.split(":")[1].split()[0]) - 1]
    assert "'signature.svg' is not listed in pictograms/LICENSES.toml" in message
