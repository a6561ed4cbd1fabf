"""posture_cam: posture and gait screening from ordinary video.

A screening aid, not a diagnosis. See README.md and docs/ARCHITECTURE.md.
"""

__version__ = "0.1.0"
