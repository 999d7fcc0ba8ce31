#!/usr/bin/env bash
# Set up (if needed) and run the flagship case: deep subsidence of the Groningen field,
# with maps, time series and, when the InSAR module is present, the comparison with the
# Sentinel-1 parcels 2015–2018 (the case's [validation] table). Results: runs/groningen/,
# the InSAR report in runs/groningen/validation/report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MPLBACKEND=Agg
.venv/bin/subsidence run cases/groningen_deep.toml --out runs/groningen
.venv/bin/subsidence validate runs/groningen
echo "flagship: results in runs/groningen/ (summary.json, surface.nc, points.csv, *.png;"
echo "          InSAR comparison in runs/groningen/validation/report.html)"
