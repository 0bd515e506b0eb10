#!/usr/bin/env bash
# Static checks, run by CI before the tests (.ci/run) and by hand:  packaging/lint.sh
#   layers   import-linter: the contracts in pyproject.toml ([tool.importlinter])
#   ruff     the rules in pyproject.toml ([tool.ruff])
#   mypy     the packages in pyproject.toml ([tool.mypy])
#   qmllint  every QML file of the screens
# Each check runs even when an earlier one failed; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
failed=()

run() {
  local name=$1; shift
  echo "== $name"
  if "$@"; then echo "   $name: ok"; else echo "   $name: FAILED" >&2; failed+=("$name"); fi
}

run layers "$bin/lint-imports" --no-cache
run ruff "$bin/ruff" check --no-cache --quiet .
run mypy "$bin/mypy" --no-incremental --cache-dir=/dev/null
# Unqualified access (the `kiosk`, `voice` and `mediator` context properties) is not reported until the
# screens are registered as a QML module (issue 10 §2); every other warning fails the check. Two lines carry
# `// qmllint disable missing-property`: qmllint types Qt.inputMethod as a plain QObject (no hide/visible).
run qmllint bash -c 'cd ui/qml && ../../'"$bin"'/pyside6-qmllint --max-warnings 0 --unqualified disable *.qml'

if [ "${#failed[@]}" -gt 0 ]; then
  echo "lint: failed: ${failed[*]}" >&2
  exit 1
fi
echo "lint: all checks passed"
