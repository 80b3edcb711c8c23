#!/usr/bin/env bash
# Install the Debian packages SynthAct needs, only when they are missing.
# ffmpeg encodes clips; bpy needs a few X/GL client libraries on minimal images.
# --test also installs Debian's Blender application, to test the `blender -b --python` worker, and a
# single-node Slurm (slurmctld, slurmd, munge; not started by apt) plus iproute2 for the cluster tests.
set -euo pipefail
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
if [ "${1:-}" = "--test" ]; then
    command -v blender >/dev/null 2>&1 || need+=(blender)
    # Debian's Blender runs on the system Python, whose numpy the worker inside it needs (render --blender).
    dpkg -s python3-numpy >/dev/null 2>&1 || need+=(python3-numpy)
    command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld)
    command -v slurmd >/dev/null 2>&1 || need+=(slurmd)
    command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
    command -v munged >/dev/null 2>&1 || need+=(munge)
    command -v ip >/dev/null 2>&1 || need+=(iproute2)
    command -v unshare >/dev/null 2>&1 || need+=(util-linux)
fi
for lib in libxrender1 libxxf86vm1 libxfixes3 libxi6 libxkbcommon0 libsm6 libgl1 libegl1; do
    dpkg -s "$lib" >/dev/null 2>&1 || need+=("$lib")
done
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
echo "installing Debian packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: need root (or sudo) to install: ${need[*]}" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
