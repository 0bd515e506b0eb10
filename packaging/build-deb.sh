#!/usr/bin/env bash
# Build ponte-kiosk_<version>_amd64.deb, a package a technician installs with apt and
# that needs no network at install time.
#
#   packaging/build-deb.sh [OUTDIR]          (default OUTDIR: dist/)
#   PONTE_DEB_SOURCE=worktree packaging/build-deb.sh [OUTDIR]
#                                            the checkout as it is, uncommitted files too
#
# Run it on Debian 12 (amd64) with python3 and python3-venv installed; it needs network
# access to PyPI while it builds, never on the kiosk. What it does:
#  1. takes the committed tree (`git archive HEAD`: what a clean clone holds, whatever is
#     lying around in this checkout), or the folder itself outside git;
#  2. builds a virtual environment with Debian's /usr/bin/python3 and installs the app
#     and its pinned Python dependencies in it (as dh-virtualenv does);
#  3. stages the package tree, then packs it with dpkg-deb --root-owner-group.
#
# Virtual environments are not relocatable: their scripts hold absolute paths. The venv
# is built in the staging tree ($stage/opt/ponte), then the few places that name that
# path are rewritten to /opt/ponte: the `#!` lines and activate scripts in bin/, and the
# file names compiled into the .pyc files (compileall -s/-p). The build fails if the
# staging path is still found anywhere in the tree. This needs no root, no chroot and
# never touches a /opt/ponte on the build machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=${1:-$repo/dist}
python=/usr/bin/python3

die() { echo "build-deb: $*" >&2; exit 1; }

[ "$(dpkg --print-architecture)" = amd64 ] || die "build on amd64 (the wheels are for x86_64)"
[ -x "$python" ] || die "$python is missing: apt-get install python3 python3-venv"
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || die "$python is not Python 3.11 (Debian 12's): the venv must match the kiosk's python3"
"$python" -c 'import ensurepip' 2>/dev/null || die "python3-venv is missing: apt-get install python3-venv"
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/ponte-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/src
stage=$work/stage
venv=$stage/opt/ponte
mkdir -p "$src" "$stage"

# 1. the source: the committed tree, as a clean clone would have it
if [ "${PONTE_DEB_SOURCE:-}" = worktree ] && git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$repo" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$src" 2>/dev/null || true)
elif git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$repo" archive --format=tar HEAD | tar -x -C "$src"
else
    cp -a "$repo/." "$src/"
fi
version=$("$python" -c 'import tomllib, sys; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
    "$src/pyproject.toml")
deb_version="$version-1"
echo "build-deb: ponte-kiosk $deb_version"

# 2. the virtual environment, with the app installed (not editable) and no installer left
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --no-cache-dir --no-compile --disable-pip-version-check \
    --use-pep517 "$src"
"$venv/bin/python" -m pip uninstall --quiet --yes pip setuptools >/dev/null 2>&1 || true
rm -rf "$venv/lib/python3.11/site-packages"/*.dist-info/direct_url.json
# rewrite the staging path to the installed one (pyvenv.cfg only records the command)
sed -i "s#$venv#/opt/ponte#g" "$venv/pyvenv.cfg"
grep -rlIF --null "$venv" "$venv/bin" | xargs -0 -r sed -i "s#$venv#/opt/ponte#g" || true
# Version-control leftovers some wheels ship
find "$venv" -name .gitignore -type f -delete
# No bytecode in the package (Debian's rule): the postinst compiles it in place, where
# the file names are right, and the prerm removes it.
find "$venv" -name __pycache__ -type d -prune -exec rm -rf {} +
# Shared libraries and Python modules need no execute bit (wheels set it freely); programs
# (ELF or #!) keep theirs.
find "$venv/lib" -type f -perm /111 -print0 | while IFS= read -r -d '' f; do
    case "$f" in
        *.so|*.so.*) chmod a-x "$f" ;;
        *) head -c 4 "$f" | grep -q -e $'^\x7fELF' -e '^#!' || chmod a-x "$f" ;;
    esac
done
if grep -rlaF "$stage" "$stage" >"$work/leftover"; then
    head -5 "$work/leftover" >&2
    die "the staging path is still named in the files above; the venv would not work in /opt/ponte"
fi

# 3. the rest of the package tree
install -d "$stage/usr/bin" "$stage/etc/ponte/services" "$stage/lib/systemd/system" \
    "$stage/usr/share/doc/ponte-kiosk" "$venv/libexec"
ln -s /opt/ponte/bin/kiosk "$stage/usr/bin/kiosk"
install -m 0644 "$src/packaging/kiosk.toml" "$stage/etc/ponte/kiosk.toml"
install -m 0755 "$src/packaging/debian/ponte-kiosk-session" "$venv/libexec/ponte-kiosk-session"
for unit in ponte-kiosk.service ponte-kiosk-metrics.service ponte-kiosk-metrics.timer; do
    install -m 0644 "$src/packaging/$unit" "$stage/lib/systemd/system/$unit"
done
install -m 0644 "$src/packaging/debian/copyright" "$stage/usr/share/doc/ponte-kiosk/copyright"
# What lintian rightly flags but this package does on purpose (each explained in the file).
install -D -m 0644 "$src/packaging/debian/lintian-overrides" "$stage/usr/share/lintian/overrides/ponte-kiosk"
# A manual page from the command's own help.
install -d "$stage/usr/share/man/man1"
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" - "$deb_version" <<'PY' | gzip -9n >"$stage/usr/share/man/man1/kiosk.1.gz"
import sys
from click.testing import CliRunner
from commands.cli import kiosk
text = CliRunner().invoke(kiosk, ["--help"], prog_name="kiosk", env={"COLUMNS": "78"}).output
esc = lambda line: line.replace("\\", "\\e").replace("-", "\\-")
print(f'.TH KIOSK 1 "" "ponte-kiosk {sys.argv[1]}" "User Commands"')
print(".SH NAME\nkiosk \\- the Ponte assisted-access kiosk and its tools")
print(".SH DESCRIPTION\n.nf")
print("\n".join(esc(line) if not line.startswith(".") else "\\&" + esc(line) for line in text.splitlines()))
print(".fi\n.PP\nEvery command has --help. Deployment: /usr/share/doc/ponte-kiosk/deploy.md")
PY
chmod 0644 "$stage/usr/share/man/man1/kiosk.1.gz"
for doc in deploy.md fleet.md queue.md; do
    [ -f "$src/docs/$doc" ] && install -m 0644 "$src/docs/$doc" "$stage/usr/share/doc/ponte-kiosk/$doc"
done
# The changelog date is the commit's, so that the same commit gives the same package.
date=$(git -C "$repo" log -1 --format=%cD 2>/dev/null || date -R)
printf 'ponte-kiosk (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- Ponte maintainers <ponte@example.org>  %s\n' \
    "$deb_version" "$version" "$date" | gzip -9n >"$stage/usr/share/doc/ponte-kiosk/changelog.Debian.gz"
chmod 0644 "$stage/usr/share/doc/ponte-kiosk/changelog.Debian.gz"

install -d "$stage/DEBIAN"
for script in postinst prerm postrm; do
    install -m 0755 "$src/packaging/debian/$script" "$stage/DEBIAN/$script"
done
install -m 0644 "$src/packaging/debian/conffiles" "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$deb_version/" -e "s/@INSTALLED_SIZE@/$size/" \
    "$src/packaging/debian/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
    | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
# No group or world write anywhere (wheels sometimes ship 0664 files).
chmod -R go-w "$stage"

mkdir -p "$out"
deb="$out/ponte-kiosk_${deb_version}_amd64.deb"
# gzip, not xz: on a small build machine xz takes a quarter of an hour for ~1 GB of Qt.
dpkg-deb --root-owner-group -Zgzip -z6 --build "$stage" "$deb" >/dev/null
echo "build-deb: $deb ($(du -h "$deb" | cut -f1))"
