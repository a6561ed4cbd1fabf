"""Synthetic subjects with known posture and gait (optional extra ``posture-cam[synth]``).

The geometry (``skeleton``, ``gait``, ``camera``, ``truth``, ``scenarios``) is pure numpy and
imports without OpenGL; only ``posture_cam.synth.render`` needs pyrender + trimesh (imported lazily).
"""
