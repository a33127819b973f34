"""Shared arbitrary-precision numerics: one place for every engine.

* :mod:`engines.numerics.constants` -- the registry of named constants at any precision;
* :mod:`engines.numerics.relations` -- integer-relation identification (PSLQ) with a check.
"""
