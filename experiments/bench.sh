#!/bin/sh
# The speed table in results/bench/: SRLab's figures and the peers' (PyTorch, scikit-learn, from
# ../shared/peers) measured in the same invocation, with ratios. Release build; run on a quiet
# machine (the peers' scripts wait for one). The peers' Python, once per machine:
#   python3 -m venv ../peer-venv && ../peer-venv/bin/pip install torch scikit-learn numpy scipy pillow threadpoolctl
set -e
swift build -c release --product srlab
.build/release/srlab doctor --json results/bench/doctor.json
.build/release/srlab bench --patches 5000 --peers-python "${PEERS_PYTHON:-$(cd .. && pwd)/peer-venv/bin/python}"
