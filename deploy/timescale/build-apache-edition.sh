#!/usr/bin/env bash
# Build and install TimescaleDB (Apache-2 edition: hypertables and time_bucket; no compression or
# continuous aggregates) for the local PostgreSQL 15 from Debian trixie's source package, as
# ../shared/reference/infra-recipes.md §4 verified. Idempotent: does nothing when already installed.
# Needs root and apt. Prints nothing on success but a last line "timescaledb: ready".
set -euo pipefail
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
libdir=$("$PG_CONFIG" --pkglibdir)
if [ -f "$libdir/timescaledb.so" ]; then echo "timescaledb: ready"; exit 0; fi

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends postgresql-server-dev-15 libssl-dev cmake gcc make dpkg-dev \
  xz-utils >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
  postgresql-server-dev-15 libssl-dev cmake gcc make dpkg-dev xz-utils >/dev/null; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p apt/lists/partial apt/cache/archives/partial apt/sources
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "$mirror" > apt/sources/trixie-src.sources
apt_private=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$work/apt/sources"
  -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache")
apt-get "${apt_private[@]}" update -qq >/dev/null
apt-get "${apt_private[@]}" source --download-only timescaledb >/dev/null 2>&1
dpkg-source -x timescaledb_*.dsc src >/dev/null 2>&1
cmake -S src -B src/build -DPG_CONFIG="$PG_CONFIG" -DAPACHE_ONLY=ON -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF \
  -DWARNINGS_AS_ERRORS=OFF -DUSE_TELEMETRY=OFF -DSEND_TELEMETRY_DEFAULT=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
make -C src/build -j"$(nproc)" >/dev/null 2>&1
make -C src/build install >/dev/null
echo "timescaledb: ready"
