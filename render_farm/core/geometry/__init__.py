"""Geometry every step shares: the canonical skeleton, quaternions, forward kinematics and skinning, camera
framing and projection, colours."""
