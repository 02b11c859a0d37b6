"""The one compiled part of yuqing; everything else is declared in pyproject.toml.

analysis._native computes the hashed n-gram features and linear scores of one text in C (see
analysis/_native.c). analysis.hashing and analysis.linear fall back to numpy (same features, probabilities equal to
rounding) when the extension is not built: ``optional=True`` lets the install go on, with a warning, where it
cannot be compiled.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("analysis._native", sources=["analysis/_native.c"],
                             extra_compile_args=["-O2", "-std=c11"], optional=True)])
