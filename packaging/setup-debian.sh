#!/usr/bin/env bash
# Everything Ponte needs on a fresh Debian 12 machine, and nothing twice.
#   packaging/setup-debian.sh            the kiosk and its demo
#   packaging/setup-debian.sh --tests    also what the test suite needs
# Run as root (or with sudo): it installs Debian packages, then a virtual
# environment in .venv with the project installed in it.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--tests" ] && with_tests=1

packages=(
  python3 python3-venv python3-pip
  # speech: pyttsx3 drives espeak-ng; sox converts audio for recognition
  espeak-ng libespeak-ng1 sox libsox-fmt-all
  # Qt's xcb platform, OpenGL for Qt Quick, fonts for Latin and Arabic
  libgl1 libegl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xinput0 libxcb-xkb1 libxcb-xfixes0
  libxcb-shm0 libxcb-sync1 libxrender1 libx11-xcb1
  fonts-dejavu-core fonts-noto-core
  # audio for QtMultimedia (playback of speech, the microphone)
  libpulse0 libasound2
  # receipts: QtPrintSupport prints through CUPS (docs/receipts.md)
  libcups2
  # documents: scanners through SANE's scanimage (its test backend is the scanner in tests)
  sane-utils
)
if [ "$with_tests" = 1 ]; then
  # a virtual screen and a sound server with a virtual microphone for end-to-end tests
  packages+=(xvfb xauth pulseaudio pulseaudio-utils)
  # receipts: a real CUPS with the cups-pdf printer; PDF to text and PNG; QR codes decoded
  packages+=(cups printer-driver-cups-pdf poppler-utils zbar-tools)
  # fleet metrics: Debian's real Pushgateway, started on loopback by tests/test_metrics.py
  packages+=(prometheus-pushgateway)
  # screen readers: the real AT-SPI tree read by tests/test_atspi.py under Xvfb and a session bus
  packages+=(dbus dbus-x11 at-spi2-core python3 python3-gi python3-pyatspi)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: run this script as root (sudo $0 $*)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=python3
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  command -v python3.11 >/dev/null && python=python3.11 || {
    echo "setup: Ponte needs Python 3.11 (Debian 12's python3)." >&2; exit 1; }
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "$with_tests" = 1 ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
else
  .venv/bin/python -m pip install -q -e .
fi
echo "setup: ready (.venv/bin/kiosk)"
