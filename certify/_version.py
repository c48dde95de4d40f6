"""The package version: a leaf module (imports nothing), so that any module can read it without
importing the package's subpackages."""

__version__ = "0.1.0"
