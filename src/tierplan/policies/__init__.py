"""Placement and scaling policies, shared by the simulator and the autoscaler."""
