#!/usr/bin/env bash
# The GPU paths in one short script, for a machine with CUDA (run from the repository root).
# Without a Studio install there, it expects Studio's missing dependencies as wheels in .whl/
# (see docs/training.md, "Checking the GPU paths"). Writes its logs under ${OUT:-gpu-check}/.
set -u
OUT=${OUT:-gpu-check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
STUDIO="python3 -m studio.cli"
nvidia-smi -L | tee "$OUT/device.txt"
python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'cuda', torch.version.cuda)" | tee -a "$OUT/device.txt"

echo "== GPU tests (AMP, channels-last, OOM halving)"
timeout 90 python3 -m pytest -q -p no:cacheprovider -o addopts="" -m "gpu and not slow" tests/ml/test_gpu.py 2>&1 | tail -5 | tee "$OUT/gpu_tests.txt"

work=$(mktemp -d)
echo "== digits classifier on CUDA through the CLI and the worker"
$STUDIO demo "$work/demo" > /dev/null
{ time timeout 120 $STUDIO train "$work/demo/demo.studio" --task classification --model resnet18 \
    --epochs 4 --input-size 32 --batch-size 64 --lr 0.002 --device cuda --pretrained never --json \
    > "$OUT/digits_run.json"; } 2> "$OUT/digits_time.txt"
python3 - "$OUT/digits_run.json" <<'PY' | tee "$OUT/digits.txt"
import json, sys
run = json.load(open(sys.argv[1]))
print("status", run["status"], "device", run["device"], "test", run["summary"].get("test"))
PY

echo "== Faster R-CNN and Mask R-CNN on synthetic scenes, CUDA + AMP"
python3 -c "from pathlib import Path; from studio.core.synthetic_scenes import create_scene_project as c; from studio.core.project_file import open_project_file as o; from studio.core.versions import create_version as v; p=c(Path('$work/scenes.studio'), count=48, seed=0, size=128); d=o(p); v(d); d.close()"
for model in fasterrcnn_mobilenet_v3_large_fpn:detection maskrcnn_resnet50_fpn:segmentation; do
    timeout 120 $STUDIO train "$work/scenes.studio" --task "${model#*:}" --model "${model%%:*}" \
        --epochs 3 --input-size 128 --batch-size 8 --device cuda --pretrained never --json \
        > "$OUT/${model%%:*}.json" 2> "$OUT/${model%%:*}.err"
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sys.argv[2], r['status'], r['device'], {k: v for k, v in r['summary'].get('test', {}).items() if 'map' in k})" "$OUT/${model%%:*}.json" "${model%%:*}" | tee -a "$OUT/detection.txt"
done

echo "== training throughput: Studio's loop against a hand-written loop (CUDA)"
timeout 70 python3 -m benchmarks --only training 2>&1 | tail -12 | tee "$OUT/bench_training.txt"
