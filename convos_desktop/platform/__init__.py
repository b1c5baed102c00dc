"""Operating-system edges of the desktop app: quit signals, sleep/resume and lock/unlock."""
