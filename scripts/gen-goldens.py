#!/usr/bin/python3
"""Regenerates every golden file the tests read, with healpy and numpy.

    apt-get install -y python3-healpy
    /usr/bin/python3 scripts/gen-goldens.py

Each generator is deterministic and writes into its own folder under test/fixtures:
  scripts/goldens/geometry.py  -> test/fixtures/healpix     (pix2ang, nest/ring, RNG, synalm, beams)
  scripts/goldens/sht.py       -> test/fixtures/healpix/sht (alm2map, map2alm, anafast, synfast, smoothing)
  scripts/goldens/fits.py      -> test/fixtures/fits        (write_map / write_cl files of every layout)
  scripts/goldens/npy.py       -> test/fixtures/handlers    (.npy and savetxt files)
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATORS = [
    ("geometry.py", "test/fixtures/healpix"),
    ("sht.py", "test/fixtures/healpix/sht"),
    ("fits.py", "test/fixtures/fits"),
    ("npy.py", "test/fixtures/handlers"),
]

for script, out in GENERATORS:
    print(f"{script} -> {out}", flush=True)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "goldens" / script), str(ROOT / out)], check=True)
