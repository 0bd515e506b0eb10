"""Hostile and mangled service definitions: each one loads or is reported, never another exception.

Mutants are generated here from the sample definitions (kiosk/services/*.yaml), with a fixed
seed so a failure is reproducible: text edits (lines dropped, doubled, re-indented, bytes and
YAML tricks inserted) and tree edits (any value replaced by a hostile one). A short corpus runs
by default; `-m slow` runs a much larger one. Hypothesis adds tree edits of its own choosing.
"""
from __future__ import annotations

import copy
import functools
import json
import random
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.definition import MAX_FILE_BYTES, DefinitionError, Service, load_catalogue, load_service

SERVICES = Path(__file__).resolve().parent.parent / "kiosk" / "services"
SAMPLES = sorted(SERVICES.glob("*.yaml"))

# Values that broke the loader before (issue 17): bad dates, huge integers, YAML features
# that expand or nest without bound, tags, and text that is not what a field expects.
HOSTILE_SCALARS = [
    "2001-13-45", "2001-02-30 25:61:61", "9" * 5000, "-" + "9" * 4400, "0x" + "f" * 5000, "1e999", ".nan",
    "-.inf", "~", "null", "yes", "On", "0o777", "1_000", "190:20:30", "!!binary aGVsbG8=", "!!set {a, b}",
    "!!timestamp 2001-13-45", "!!python/object/apply:os.system [echo]", "!!omap [a: 1]", "&anchor x",
    "*undefined", "<<: {a: 1}", "=", "[" * 200 + "]" * 200, "{" * 30 + "}" * 30, "'unterminated",
    '"\\uD800"', "\t", "\x00", "\ufffe", "\u202e", "a" * 5000, "[]", "{}", "- - - -", "? [a, b]\n  : c",
]
HOSTILE_VALUES = [
    None, True, 0, -1, 10 ** 40, 1.5e308, float("nan"), float("inf"), "", "x" * 3000, "2001-13-45", [], {},
    [None], {"en": None}, {"": ""}, {"en": ["a"]}, [[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]],
    {"page": "nif", "equals": "yes", "in": ["a"]}, {"value": "x", "label": {"en": "X"}},
    "../../../../etc/passwd.svg", "a" * 300 + ".svg", ["en"] * 50,
]


def _text_mutant(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        kind = rng.randrange(9)
        if kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif kind == 2:
            lines[i] = " " * rng.randint(0, 7) + lines[i].lstrip()
        elif kind == 3 and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {rng.choice(HOSTILE_SCALARS)}"
        elif kind == 4:
            pos = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + rng.choice(HOSTILE_SCALARS) + lines[i][pos:]
        elif kind == 5:
            lines = lines[: rng.randrange(len(lines)) + 1]
        elif kind == 6:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == 7 and ":" in lines[i]:
            key, value = lines[i].split(":", 1)
            lines[i] = f"{key}: &a{i}{value}"
            lines.insert(min(len(lines), i + 3), f"{key.rstrip()}2: *a{i}")
        else:
            pos = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + chr(rng.choice([0x85, 0x202E, 0x2028, 0xFEFF, 0x7F, 0x1B, 0xE9, 0x10FFFF])) \
                + lines[i][pos:]
    return "\n".join(lines)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


def _replace(doc, path, value):
    if not path:
        return value
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _dump(doc) -> str:
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def _tree_mutant(rng: random.Random, doc: dict) -> str:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        paths = list(_paths(doc))
        path = rng.choice(paths)
        if rng.random() < 0.2 and path:  # drop a field or item
            node = doc
            for part in path[:-1]:
                node = node[part]
            del node[path[-1]]
        else:
            doc = _replace(doc, path, copy.deepcopy(rng.choice(HOSTILE_VALUES)))
        if not isinstance(doc, dict):
            break
    return _dump(doc)


def mutants(count: int, seed: int = 17):
    """(name, text or bytes) pairs: a reproducible corpus of broken definitions."""
    rng = random.Random(seed)
    sources = [(p, p.read_text(encoding="utf-8")) for p in SAMPLES]
    docs = [yaml.load(text, Loader=_Loader) for _, text in sources]
    # First, each hostile scalar once as the value of a field, then an alias bomb: the cases
    # that escaped before are always in the corpus, whatever the seed.
    for n, scalar in enumerate(HOSTILE_SCALARS):
        lines = sources[n % len(sources)][1].split("\n")
        fields = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")]
        i = rng.choice(fields)
        lines[i] = f"{lines[i].split(':', 1)[0]}: {scalar}"
        yield f"scalar-{n}.yaml", "\n".join(lines)
    bomb = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    yield "alias-bomb.yaml", sources[0][1] + "\n" + "\n".join(bomb) + "\n"
    for n in range(count):
        k = rng.randrange(len(sources))
        roll = rng.random()
        if roll < 0.45:
            yield f"text-{n}.yaml", _text_mutant(rng, sources[k][1])
        elif roll < 0.9:
            yield f"tree-{n}.yaml", _tree_mutant(rng, docs[k])
        elif roll < 0.95:
            data = bytearray(sources[k][1].encode("utf-8"))
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            yield f"bytes-{n}.yaml", bytes(data)
        else:
            yield f"json-{n}.json", json.dumps(docs[k])[: rng.randrange(1, 20000)]


def _lines(content) -> int:
    """Lines as YAML counts them: NEL, LS and PS break lines too."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    return len(re.split("\r\n|[\n\r\x85\u2028\u2029]", text))


def check_one(folder: Path, name: str, content) -> None:
    """The contract: a Service, or DefinitionError whose problems name the file in plain words."""
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        result = load_service(path)
    except DefinitionError as exc:
        assert exc.problems, name
        for problem in exc.problems:
            assert problem.file == str(path), (name, problem)
            assert problem.message and "Traceback" not in problem.message, (name, problem)
            assert len(problem.message) < 1000, (name, problem.message[:200])
            assert problem.line is None or 1 <= problem.line <= _lines(content), (name, problem)
    else:
        assert isinstance(result, Service), name
    finally:
        path.unlink()


@functools.lru_cache(maxsize=1)
def default_corpus() -> list:
    return list(mutants(60, seed=17))  # plus the fixed hostile cases: about 100 files


def test_mutated_definitions_load_or_are_reported(tmp_path):
    for name, content in default_corpus():
        check_one(tmp_path, name, content)


@pytest.mark.slow
def test_many_mutated_definitions_load_or_are_reported(tmp_path):
    for seed in range(1, 6):
        for name, content in mutants(1000, seed=seed):
            check_one(tmp_path, name, content)


def test_a_broken_file_never_hides_the_others(tmp_path):
    for sample in SAMPLES:
        shutil.copy(sample, tmp_path / sample.name)
    shutil.copytree(SERVICES / "pictograms", tmp_path / "pictograms")
    for name, content in list(mutants(40, seed=99)):
        target = tmp_path / ("zz-" + name)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", errors="surrogatepass")
    catalogue = load_catalogue([tmp_path])
    # Every sample still loads (a mutant may load too, or lose the id race to the sample).
    assert {"change-of-address", "birth-certificate", "social-energy-tariff"} <= set(catalogue.services)
    assert all(Path(s.source).name.startswith("zz-") is False for s in catalogue.services.values()
               if s.id in {"change-of-address", "birth-certificate", "social-energy-tariff"})
    assert catalogue.problems  # the broken ones are reported


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40),
                     st.sampled_from(HOSTILE_SCALARS))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=8), inner, max_size=4), max_leaves=20)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hypothesis_tree_edits_load_or_are_reported(tmp_path, data):
    sample = data.draw(st.sampled_from(SAMPLES))
    doc = yaml.load(sample.read_text(encoding="utf-8"), Loader=_Loader)
    path = data.draw(st.sampled_from(list(_paths(doc))))
    doc = _replace(doc, path, data.draw(_values))
    try:
        text = _dump(doc)
    except (yaml.YAMLError, RecursionError):
        return  # hypothesis built something PyYAML cannot write; nothing to load
    check_one(tmp_path, "hyp.yaml", text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_hypothesis_any_text_loads_or_is_reported(tmp_path, text):
    check_one(tmp_path, "any.yaml", text)


def test_the_fixed_corpus_covers_the_issue_17_cases():
    """The corpus itself holds the cases that escaped before (so the test above can fail)."""
    corpus = "\n".join(c if isinstance(c, str) else "" for _, c in default_corpus())
    assert "2001-13-45" in corpus and "9" * 4400 in corpus and "*a" in corpus
    assert MAX_FILE_BYTES >= 64 * 1024
