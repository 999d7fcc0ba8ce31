#!/usr/bin/env bash
# Set up (if needed) and run the flagship case: deep subsidence of the Groningen field,
# with maps, time series and, when the InSAR module is present, the comparison with the
# Sentinel-1 parcels 2015–2018. Results: runs/groningen/ (and runs/groningen-insar/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MPLBACKEND=Agg
.venv/bin/subsidence run cases/groningen_deep.toml --out runs/groningen
if .venv/bin/subsidence validate --help >/dev/null 2>&1; then
    .venv/bin/subsidence validate runs/groningen \
        --insar validation/data/nieuwolda/insar_t88_parcels_2015_2018.csv --out runs/groningen-insar
fi
echo "flagship: results in runs/groningen/ (summary.json, surface.nc, points.csv, *.png)"
