#!/usr/bin/env bash
# Idempotent setup for a fresh machine: Debian packages, the virtual environment, Python packages.
# Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
need_apt=()
# A C compiler and Python's headers build analysis._native (the classifiers run on numpy without it, slower).
command -v gcc >/dev/null || need_apt+=(gcc)
"$PY" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  || need_apt+=(python3-dev)
command -v mvn >/dev/null || need_apt+=(maven)
command -v redis-server >/dev/null || need_apt+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The postgresql package starts a system cluster on 5432; the tests start their own, so stop it.
  if [[ " ${need_apt[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null; then
    $SUDO service postgresql stop >/dev/null 2>&1 || true
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.yuqing-installed
# Reinstall when the package's declaration or its C extension (analysis/_native.c, built in place) changed.
want=$(cat pyproject.toml setup.py analysis/_native.c | sha1sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! ls analysis/_native.*.so >/dev/null 2>&1; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev,accurate]'
  echo "$want" > "$stamp"
fi
if ! ls analysis/_native.*.so >/dev/null 2>&1; then
  # setup.py marks the extension optional, so pip goes on without it; say so rather than run slower unseen.
  echo "setup: WARNING: the C extension analysis._native was not built, so the classifiers run on numpy" \
       "(probabilities equal to rounding, about a third slower) and its tests fail. It needs gcc and Python's headers;" \
       "'.venv/bin/python -m pip install -v -e .' shows why the build failed." >&2
fi
echo "setup: ready (.venv, $(.venv/bin/python --version), $(.venv/bin/yuqing --version))"
