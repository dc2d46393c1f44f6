#!/bin/bash
# Lab stand-in for e-mission-server's launcher: runs a script with the checkout on PYTHONPATH,
# with whatever python3 is first on PATH (the playbooks put the venv there).
cd "$(dirname "$0")" && PYTHONPATH=. exec python3 "$@"
