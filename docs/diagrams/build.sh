#!/usr/bin/env bash
# Render the diagrams' Graphviz sources to the SVGs the site shows (Debian: apt-get install graphviz).
set -euo pipefail
cd "$(dirname "$0")"
for src in *.dot; do dot -Tsvg "$src" -o "${src%.dot}.svg"; done
