"""The film stack under the resist: named layers, top to bottom, on a substrate."""

from __future__ import annotations

from dataclasses import dataclass

from .._validate import positive_number
from ..errors import InvalidParameterError

__all__ = ["Layer", "Stack", "RESIST"]

RESIST = "resist"  # the material name of the patterned resist (or an extruded layout)


def _name(field: str, value: object) -> str:
    if not isinstance(value, str) or not value or not value.isidentifier():
        raise InvalidParameterError(field, value, "a non-empty material name (letters, digits, underscores)")
    return value


@dataclass(frozen=True)
class Layer:
    """One film: a material name and a thickness, nm."""

    name: str
    thickness: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _name("name", self.name))
        object.__setattr__(self, "thickness", positive_number("thickness", self.thickness, "nm"))


@dataclass(frozen=True)
class Stack:
    """Films under the resist, listed from the top down, on a substrate.

    Parameters
    ----------
    layers : sequence of Layer
        Top first (the layer the resist sits on).
    substrate : str
        Material below the last layer (simulated as a slab of ``substrate_thickness``).
    substrate_thickness : float
        nm of substrate kept in the simulation (etching can reach into it).
    """

    layers: tuple[Layer, ...]
    substrate: str = "substrate"
    substrate_thickness: float = 20.0

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise InvalidParameterError("layers", self.layers, "one or more Layer(name, thickness) objects")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "substrate", _name("substrate", self.substrate))
        object.__setattr__(self, "substrate_thickness",
                           positive_number("substrate_thickness", self.substrate_thickness, "nm"))
        names = [layer.name for layer in layers] + [self.substrate]
        for name in set(names) | {RESIST}:
            if names.count(name) > 1 or (name == RESIST and RESIST in names):
                raise InvalidParameterError("layers", names, f"distinct material names other than {RESIST!r}")

    @property
    def materials(self) -> tuple[str, ...]:
        """Material names, top down: the layers then the substrate."""
        return tuple(layer.name for layer in self.layers) + (self.substrate,)

    @property
    def thickness(self) -> float:
        """Layers plus the simulated substrate, nm."""
        return sum(layer.thickness for layer in self.layers) + self.substrate_thickness

    def interfaces(self) -> list[tuple[str, float, float]]:
        """(material, top, bottom) depths below the top of the first layer, nm."""
        out, z = [], 0.0
        for layer in self.layers:
            out.append((layer.name, z, z + layer.thickness))
            z += layer.thickness
        out.append((self.substrate, z, z + self.substrate_thickness))
        return out
