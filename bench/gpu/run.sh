#!/usr/bin/env bash
# GPU benchmark of src/compute against torch CUDA, for a machine with an NVIDIA GPU and PyTorch (no Node needed
# there: bring one). Sizes: bmm 8×1024³, interpolate 1×64×512² → 2×, metrics over 16×1024², a chain kept on the
# device; every time end to end from host tensors (torch's includes its host↔device copies).
#
#   NODE=/path/to/node bash bench/gpu/run.sh          (after `node scripts/build.mjs` made dist/computeBench.js)
#
# Needs next to the tree: dist/computeBench.js, node_modules/onnxruntime-node and node_modules/onnxruntime-common.
# Providers tried: cuda (needs onnxruntime-node's CUDA 12 binaries, see README "GPU compute"), then webgpu
# (Vulkan: needs the NVIDIA Vulkan ICD, /usr/share/vulkan/icd.d/nvidia_icd.json, and libvulkan.so.1).
set -uo pipefail
cd "$(dirname "$0")/../.."
NODE="${NODE:-node}"
PY="${PYTHON:-python3}"
REPS="${REPS:-10}"
export TENSORSCOPE_PYTHON="$PY" TORCH_DEVICE=cuda
if [ ! -f dist/computeBench.js ]; then echo "dist/computeBench.js is missing: run node scripts/build.mjs where Node and npm are" >&2; exit 2; fi
"$NODE" --version || { echo "no Node binary at NODE=$NODE" >&2; exit 2; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "(nvidia-smi not available)"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'

# CUDA 12 / cuDNN 9 runtime libraries for onnxruntime's CUDA provider: PyTorch's wheels ship them (nvidia/*/lib)
NVLIBS=$("$PY" - <<'PY' 2>/dev/null
import glob, os, site
dirs = set()
for sp in site.getsitepackages():
    for d in glob.glob(os.path.join(sp, 'nvidia', '*', 'lib')):
        dirs.add(d)
print(':'.join(sorted(dirs)))
PY
)
export LD_LIBRARY_PATH="${NVLIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ORT_BIN=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
if [ -f "$ORT_BIN/libonnxruntime_providers_cuda.so" ]; then echo "onnxruntime CUDA provider binaries: present"; else echo "onnxruntime CUDA provider binaries: MISSING in $ORT_BIN (cuda will fall back)"; fi
ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | sed 's/^/vulkan icd: /'

status=0
for ep in cuda webgpu; do
  echo "=== onnxruntime provider: $ep (fallback disabled: only $ep) ==="
  if ! timeout 900 "$NODE" dist/computeBench.js --ep=$ep --big --reps="$REPS"; then
    echo "provider $ep could not run the benchmark (see the message above)"
    status=1
  fi
done
echo "=== CPU reference on this machine (ours on cpu vs torch cpu, CPU sizes) ==="
TORCH_DEVICE=cpu timeout 900 "$NODE" dist/computeBench.js --ep=cpu --reps=3 || status=1
exit $status
