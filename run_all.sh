#!/usr/bin/env bash
# microlabs: run the course, one lab, or every test.
#
#   ./run_all.sh                    run every lab: start it, take its demo tour, stop it
#   ./run_all.sh lab1               the same for one lab (lab1 or lab1_rest)
#   ./run_all.sh test               the linter, then common/ and each lab's tests, each in its own pytest process,
#                                   2 at a time (TEST_JOBS=N: N at a time, 1: one after another, output live)
#   ./run_all.sh test lab2 [ARGS]   one lab's tests (or common's), output live; ARGS go to pytest
#   ./run_all.sh test --quick       the same without the slow tests (it lists what it skipped)
#   ./run_all.sh grade LAB --rest-url URL [--grpc-target HOST:PORT] [--notifier-url URL]
#                                   grade a running implementation, in any language (docs/contract.md)
#   ./run_all.sh starter LAB DIR    write a starter of the lab: its parts to write are TODOs
#   ./run_all.sh check LAB N        check exercise N of the lab's README against your lab (no N: list them)
#   ./run_all.sh bench [ARGS]       the REST vs gRPC study of lab 2: writes docs/rest-vs-grpc.md
#   ./run_all.sh bench lab4 [ARGS]  lab 4's WebSocket benchmark: clients, latency, memory (prints a table)
#   ./run_all.sh bench lab5 [ARGS]  lab 5's pipeline benchmark: registrations/s end to end, notification delay
#   ./run_all.sh bench lab6 [ARGS]  lab 6's cost of observing: requests/s with metrics and logs on, against lab 5
#   ./run_all.sh new labN_name      make the next lab, a copy of the last one (see common/lessons.py)
#   ./run_all.sh generate LAB       regenerate a lab's gRPC code after editing its .proto
#
# Each command installs what it needs (and nothing more) into .venv/, once.
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

# install FILE...: pip install -r each requirements file that changed since it was last installed.
install() {
    if [ ! -x "$PY" ]; then
        local python; python=$(find_python)
        step "setup: creating $VENV with $python"
        "$python" -m venv "$VENV" || die "could not create a virtual environment. Debian/Ubuntu: sudo apt-get install python3.11-venv"
        "$PY" -m pip install --quiet --upgrade pip
    fi
    local file stamp sum
    for file in "$@"; do
        stamp="$VENV/.installed-${file//\//_}"
        sum=$(sha256sum "$file" | cut -d' ' -f1)
        [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && continue
        step "setup: installing $file into $VENV"
        "$PY" -m pip install --quiet -r "$file" || die "pip install -r $file failed (see above): check your network access to PyPI"
        echo "$sum" > "$stamp"
    done
}

# The code generator's import fixer (protoletariat) pins an older protobuf than the labs run on,
# so it lives in a folder of its own, used only while generating code.
install_codegen() {
    local stamp="$VENV/.installed-codegen" sum
    sum=$(sha256sum requirements-codegen.txt | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && return
    step "setup: installing requirements-codegen.txt into $VENV/codegen"
    rm -rf "$VENV/codegen"
    "$PY" -m pip install --quiet --no-warn-conflicts --target "$VENV/codegen" -r requirements-codegen.txt || die "pip install failed (see above)"
    echo "$sum" > "$stamp"
}

resolve_lab() {
    local wanted=$1 lab
    for lab in $(labs); do
        if [ "$lab" = "$wanted" ] || [ "${lab%%_*}" = "$wanted" ]; then echo "$lab"; return; fi
    done
    die "no lab called '$wanted'. The labs: $(labs | tr '\n' ' ')"
}

run_labs() {
    local lab requirements=()
    for lab in "$@"; do requirements+=("$lab/requirements.txt"); done
    install "${requirements[@]}"
    step "running $# lab(s): $*"
    "$PY" -m common.run_lab "$@"
}

install_labs() {
    local lab requirements=()
    for lab in $(labs); do requirements+=("$lab/requirements.txt"); done
    install "${requirements[@]}"
}

install_for_tests() {
    command -v curl >/dev/null || die "the README tests run curl. Install it (Debian/Ubuntu: sudo apt-get install curl)."
    if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then
        echo "note: neither docker-compose nor 'docker compose' is installed: the compose.yaml checks will be skipped"
        echo "      (Debian/Ubuntu: sudo apt-get install docker-compose)"
    fi
    local lab requirements=()
    for lab in $(labs); do requirements+=("$lab/requirements.txt"); done
    for lab in lab*/bench/requirements.txt; do [ -f "$lab" ] && requirements+=("$lab"); done  # the study's smoke test
    install "${requirements[@]}" requirements-test.txt
    install_codegen
}

# run_tests [--quick] [TARGET...] [ARGS]: the linter, then each target's pytest process, TEST_JOBS at a
# time, each one's output in .test-logs/<target>.log, and a summary (common/run_tests.py).
run_tests() {
    local quick=() targets=() args=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --quick) quick=(--quick); shift ;;
            common|lab[0-9]*) targets+=("$(if [ "$1" = common ]; then echo common; else resolve_lab "$1"; fi)"); shift ;;
            *) args+=("$@"); break ;;
        esac
    done
    [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(echo common; labs)
    install_for_tests
    "$PY" -m common.run_tests "${quick[@]}" "${targets[@]}" -- "${args[@]}"
}

main() {
    local command=${1:-all}
    case "$command" in
        all) mapfile -t all_labs < <(labs); run_labs "${all_labs[@]}" ;;
        test) shift; run_tests "$@" ;;
        grade) shift; install_labs; "$PY" -m common.grader "$@" ;;
        starter) shift; [ $# -eq 2 ] || die "usage: ./run_all.sh starter LAB DIR"
                 "$PY" -m common.starter "$(resolve_lab "$1")" "$2" ;;
        bench) shift
               command -v taskset >/dev/null || die "the benchmarks pin processes to cores with taskset. Install it (Debian/Ubuntu: sudo apt-get install util-linux)."
               if [ "${1:-}" = lab4 ] || [ "${1:-}" = lab4_websocket ]; then
                   shift; install lab4_websocket/requirements.txt
                   step "bench: lab 4's WebSocket benchmark (python -m lab4_websocket.bench $*)"
                   "$PY" -m lab4_websocket.bench "$@"
               elif [ "${1:-}" = lab5 ] || [ "${1:-}" = lab5_broker ]; then
                   shift; install lab5_broker/requirements.txt lab5_broker/bench/requirements.txt
                   command -v wrk >/dev/null || die "lab 5's benchmark registers users with wrk. Install it (Debian/Ubuntu: sudo apt-get install wrk)."
                   step "bench: lab 5's pipeline benchmark (python -m lab5_broker.bench $*)"
                   "$PY" -m lab5_broker.bench "$@"
               elif [ "${1:-}" = lab6 ] || [ "${1:-}" = lab6_monitoring ]; then
                   shift; install lab5_broker/requirements.txt lab6_monitoring/requirements.txt
                   command -v wrk >/dev/null || die "lab 6's benchmark loads the labs with wrk. Install it (Debian/Ubuntu: sudo apt-get install wrk)."
                   step "bench: lab 6's cost of observing (python -m lab6_monitoring.bench $*)"
                   "$PY" -m lab6_monitoring.bench "$@"
               else
                   install lab2_grpc/requirements.txt lab2_grpc/bench/requirements.txt
                   step "bench: the REST vs gRPC study (python -m lab2_grpc.bench $*)"
                   "$PY" -m lab2_grpc.bench "$@"
               fi ;;
        new) shift; [ $# -eq 1 ] || die "usage: ./run_all.sh new labN_name"
             install "$(labs | tail -n 1)/requirements.txt"; "$PY" -m common.lessons new "$1" ;;
        check) shift; [ $# -eq 1 ] || [ $# -eq 2 ] || die "usage: ./run_all.sh check LAB N"
               local lab; lab=$(resolve_lab "$1"); install_labs
               "$PY" -m common.exercises "$lab" "${@:2}" ;;
        generate) shift; [ $# -eq 1 ] || die "usage: ./run_all.sh generate LAB"
                  local lab; lab=$(resolve_lab "$1"); install "$lab/requirements.txt" requirements-test.txt; install_codegen
                  "$PY" -m "$lab.generate" ;;
        -h|--help|help) sed -n '2,19p' "$0" ;;
        *) local lab; lab=$(resolve_lab "$command"); run_labs "$lab" ;;
    esac
}

main "$@"
