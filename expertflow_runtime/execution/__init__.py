"""Carrying plans out: host copies of every expert (``store``), copy mechanics (``links``,
``emulation``) and the device slot pool (``executor``)."""
