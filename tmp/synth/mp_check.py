import sys, json, numpy as np, av
from posture_cam.model_bundle import ensure_model
from posture_cam.pose_adapter import PoseLandmarkerAdapter
from posture_cam.landmarks import Landmark as L
name=sys.argv[1]
d=json.load(open(f'sample_videos/{name}.json')); truth=np.array(d['landmarks_px'])
c=av.open(f'sample_videos/{name}.mp4'); out=[]
with PoseLandmarkerAdapter(ensure_model('full'), running_mode='video') as a:
    for i,f in enumerate(c.decode(video=0)):
        cands=a.detect(f.to_ndarray(format='rgb24'), i*1000/d['fps'])
        out.append(cands[0].image_px[:,:2] if cands else np.full((33,2),np.nan))
mp=np.array(out)
bh=d['body_height_px']
err=np.linalg.norm(mp-truth,axis=2)/bh*100
print('detected', np.mean(np.isfinite(mp[:,0,0])))
for lm in [L.NOSE,L.LEFT_EAR,L.LEFT_SHOULDER,L.RIGHT_SHOULDER,L.LEFT_HIP,L.RIGHT_HIP,L.LEFT_KNEE,L.LEFT_ANKLE,L.LEFT_HEEL,L.LEFT_FOOT_INDEX]:
    print(f'{lm.name:18s} err %height median {np.nanmedian(err[:,lm]):.2f}  mean dxdy', np.round(np.nanmean(mp[:,lm]-truth[:,lm],axis=0),1))
def obl(p,l,r):
    dy=p[:,r,1]-p[:,l,1]; dx=np.abs(p[:,r,0]-p[:,l,0]); return np.degrees(np.arctan2(dy,dx))
for nm,l,r in [('pelvis',L.LEFT_HIP,L.RIGHT_HIP),('shoulder',L.LEFT_SHOULDER,L.RIGHT_SHOULDER),('knee',L.LEFT_KNEE,L.RIGHT_KNEE),('ankle',L.LEFT_ANKLE,L.RIGHT_ANKLE)]:
    print(nm, 'true', np.round(np.median(obl(truth,l,r)),2), 'mediapipe', np.round(np.nanmedian(obl(mp,l,r)),2))
np.save(f'tmp/synth/{name}_mp.npy', mp)
