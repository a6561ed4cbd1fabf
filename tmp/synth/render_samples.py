import sys, time
from pathlib import Path
from posture_cam.synth.scenarios import SAMPLES, render_clip
out = Path(sys.argv[1]); names = sys.argv[2:]
order = sorted(SAMPLES, key=lambda s: (s.name not in names, names.index(s.name) if s.name in names else 0))
for s in order:
    t = time.time(); render_clip(s, out); print(s.name, round(time.time() - t, 1), flush=True)
