"""The demo workspace: ``convos-server demo`` seeds a fresh workspace and plays customers.

``content`` holds the fixed people and texts, ``library`` makes the demo files, ``seed``
writes the workspace with its history, ``simulator`` plays customers while the server runs
and ``runner`` puts the server, the seed and the simulator together.
"""
