"""The parts of the build pyproject.toml cannot declare: the C extension and the default configuration.

analysis._native computes the hashed n-gram features, linear scores and near-duplicate signature of one text in C
(see analysis/_native.c). analysis.hashing, analysis.linear and analysis.dedup fall back to numpy (same features and
signatures, probabilities equal to rounding) when the extension is not built: ``optional=True`` lets the install go
on, with a warning, where it cannot be compiled.

The repository's ``config/*.yaml`` go into the built package as ``yuqing/default_config/``: an installed wheel has
no repository beside it, and ``yuqing.paths.config_dir`` falls back to that copy (``config/`` stays the one place
the files are edited; the copy is made at build time only).
"""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildWithDefaultConfig(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "yuqing" / "default_config"
        target.mkdir(parents=True, exist_ok=True)
        for source in sorted(Path(__file__).parent.joinpath("config").glob("*.yaml")):
            shutil.copy2(source, target / source.name)


setup(
    cmdclass={"build_py": BuildWithDefaultConfig},
    ext_modules=[Extension("analysis._native", sources=["analysis/_native.c"],
                           extra_compile_args=["-O2", "-std=c11"], optional=True)],
)
