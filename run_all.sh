#!/usr/bin/env bash
# microlabs: run the course, one lab, or every test.
#
#   ./run_all.sh              run every lab: start it, take its demo tour, stop it
#   ./run_all.sh lab1         the same for one lab (lab1 or lab1_rest)
#   ./run_all.sh test [ARGS]  the linter and every test (ARGS go to pytest)
#   ./run_all.sh bench [ARGS] the REST vs gRPC study: writes docs/rest-vs-grpc.md (about 10 minutes)
#
# The first run creates .venv/ here and installs the pinned dependencies into it.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY="$VENV/bin/python"

step() { printf '\n==> %s\n' "$*"; }
die() { printf '\nrun_all.sh: %s\n' "$*" >&2; exit 1; }

labs() { for dir in lab[0-9]_*/; do [ -f "$dir/__main__.py" ] && echo "${dir%/}"; done; }

find_python() {
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            echo "$candidate"; return
        fi
    done
    die "Python 3.11 is needed. Install it (Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv), then run this again."
}

setup() {
    local stamp="$VENV/.installed" inputs
    inputs=$(cat pyproject.toml requirements-test.txt lab*/requirements.txt lab*/bench/requirements.txt | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
        return
    fi
    if [ ! -x "$PY" ]; then
        local python; python=$(find_python)
        step "setup: creating $VENV with $python"
        "$python" -m venv "$VENV" || die "could not create a virtual environment. Debian/Ubuntu: sudo apt-get install python3.11-venv"
    fi
    step "setup: installing the pinned dependencies into $VENV (first run only)"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -e ".[test]" || die "pip install failed (see above): check your network access to PyPI"
    echo "$inputs" > "$stamp"
}

resolve_lab() {
    local wanted=$1 lab
    for lab in $(labs); do
        if [ "$lab" = "$wanted" ] || [ "${lab%%_*}" = "$wanted" ]; then echo "$lab"; return; fi
    done
    die "no lab called '$wanted'. The labs: $(labs | tr '\n' ' ')"
}

run_labs() {
    step "running $# lab(s): $*"
    "$PY" -m common.run_lab "$@"
}

run_tests() {
    command -v curl >/dev/null || die "the README tests run curl. Install it (Debian/Ubuntu: sudo apt-get install curl)."
    if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then
        echo "note: neither docker-compose nor 'docker compose' is installed: the compose.yaml checks will be skipped"
        echo "      (Debian/Ubuntu: sudo apt-get install docker-compose)"
    fi
    step "lint: ruff check"
    "$PY" -m ruff check .
    step "tests: pytest $*"
    "$PY" -m pytest "$@"
}

run_bench() {
    command -v taskset >/dev/null || die "the study pins processes to cores with taskset. Install it (Debian/Ubuntu: sudo apt-get install util-linux)."
    command -v wrk >/dev/null || die "the study compares Locust with wrk. Install it (Debian/Ubuntu: sudo apt-get install wrk)."
    step "bench: the REST vs gRPC study (python -m lab2_grpc.bench $*)"
    "$PY" -m lab2_grpc.bench "$@"
}

main() {
    local command=${1:-all}
    setup
    case "$command" in
        all) mapfile -t all_labs < <(labs); run_labs "${all_labs[@]}" ;;
        test) shift; run_tests "$@" ;;
        bench) shift; run_bench "$@" ;;
        -h|--help|help) sed -n '2,9p' "$0" ;;
        *) local lab; lab=$(resolve_lab "$command"); run_labs "$lab" ;;
    esac
}

main "$@"
