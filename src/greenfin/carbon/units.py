"""Explicit units at the boundary of carbon computations.

A small, dependency-free unit system for the quantities greenfin needs: energy, mass of material,
CO2 and CO2e emissions, carbon, volume and money, and quotients of them (emission factors such as
``kgCO2/kWh``, net calorific values such as ``TJ/Gg``, prices such as ``CNY/tCO2``).

Rules
-----
- Every unit has a **dimension** (a vector of exponents over ``energy, mass, co2, co2e, carbon,
  volume, money``) and an exact **scale** (a :class:`fractions.Fraction`) to the base of its
  dimension (J, kg, kgCO2, kgCO2e, kgC, m³, CNY).
- Conversions multiply by the exact ratio of scales and round once; ``kgCO2/kWh`` and ``tCO2/MWh``
  have the same scale, so ``convert(0.5703, "kgCO2/kWh", "tCO2/MWh") == 0.5703`` exactly.
- A unit that is not in the registry, or a conversion between different dimensions, raises
  :class:`UnitError` naming the unit. A mass of material (``kg``) is never a mass of CO2
  (``kgCO2``), and ``tCO2`` is never silently read as ``kgCO2``: a unit mistake is an error, not a
  factor of 1000.
- Carbon, CO2 and CO2e are distinct dimensions. CO2 may be converted to CO2e (the global warming
  potential of CO2 is 1 by definition), never the other way; carbon becomes CO2 only through
  :func:`carbon_to_co2` (× 44/12), which is chemistry, not a change of unit.
- Standard coal is an energy unit: 1 kgce = 29.307 MJ (标准煤低位发热量, GB/T 2589; the row
  ``standard_coal`` of ``reference/data/carbon/standard_coal_coefficients.csv``), so
  ``tce`` ↔ ``GJ`` is exact by definition.

Numbers
-------
``int`` and ``float`` values are read as the shortest decimal that round-trips (``repr``), the
product with the exact scale is computed in rational arithmetic and rounded once to ``float``.
``Decimal`` stays ``Decimal`` (exact for the power-of-ten money units) and ``Fraction`` stays
``Fraction``. Anything else (NumPy arrays, Polars series or expressions) is multiplied by the
scale rounded to ``float``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

DIMENSIONS: tuple[str, ...] = ("energy", "mass", "co2", "co2e", "carbon", "volume", "money")
"""Base dimensions, in the order of :attr:`Unit.dimension`."""

KGCE_MJ = Fraction("29.307")
"""Lower heating value of 1 kg standard coal in MJ (GB/T 2589, 「低位发热量等于29.307兆焦」)."""

CO2_PER_C = Fraction(44, 12)
"""Mass ratio CO2 / C used by the IPCC 2006 Guidelines (Vol. 2 Ch. 1, Table 1.4 footnote)."""

_E, _M, _CO2, _CO2E, _C, _V, _MONEY = range(len(DIMENSIONS))

_K = Fraction(1000)
_WH = Fraction(3600)  # J
_KGCE = KGCE_MJ * 10**6  # J

# symbol -> (scale to the base unit of its dimension, dimension index)
_ATOMS: dict[str, tuple[Fraction, int]] = {
    # energy, base J
    "J": (Fraction(1), _E),
    "kJ": (_K, _E),
    "MJ": (_K**2, _E),
    "GJ": (_K**3, _E),
    "TJ": (_K**4, _E),
    "PJ": (_K**5, _E),
    "Wh": (_WH, _E),
    "kWh": (_WH * _K, _E),
    "MWh": (_WH * _K**2, _E),
    "GWh": (_WH * _K**3, _E),
    "TWh": (_WH * _K**4, _E),
    "10k_kWh": (_WH * _K * 10**4, _E),  # 万千瓦时
    "100m_kWh": (_WH * _K * 10**8, _E),  # 亿千瓦时
    "kgce": (_KGCE, _E),  # 千克标准煤
    "tce": (_KGCE * _K, _E),  # 吨标准煤
    "10k_tce": (_KGCE * _K * 10**4, _E),  # 万吨标准煤
    # mass of material, base kg
    "g": (1 / _K, _M),
    "kg": (Fraction(1), _M),
    "t": (_K, _M),
    "kt": (_K**2, _M),
    "Gg": (_K**2, _M),
    "Mt": (_K**3, _M),
    "10k_t": (_K * 10**4, _M),  # 万吨
    # CO2, base kgCO2
    "gCO2": (1 / _K, _CO2),
    "kgCO2": (Fraction(1), _CO2),
    "tCO2": (_K, _CO2),
    "ktCO2": (_K**2, _CO2),
    "GgCO2": (_K**2, _CO2),
    "MtCO2": (_K**3, _CO2),
    "10k_tCO2": (_K * 10**4, _CO2),
    # CO2 equivalent, base kgCO2e
    "gCO2e": (1 / _K, _CO2E),
    "kgCO2e": (Fraction(1), _CO2E),
    "tCO2e": (_K, _CO2E),
    "ktCO2e": (_K**2, _CO2E),
    "GgCO2e": (_K**2, _CO2E),
    "MtCO2e": (_K**3, _CO2E),
    "10k_tCO2e": (_K * 10**4, _CO2E),
    # carbon, base kgC
    "gC": (1 / _K, _C),
    "kgC": (Fraction(1), _C),
    "tC": (_K, _C),
    "GgC": (_K**2, _C),
    # volume, base m3
    "L": (1 / _K, _V),
    "m3": (Fraction(1), _V),
    "10k_m3": (Fraction(10**4), _V),  # 万立方米
    "100m_m3": (Fraction(10**8), _V),  # 亿立方米
    # money, base CNY
    "fen": (Fraction(1, 100), _MONEY),
    "CNY": (Fraction(1), _MONEY),
    "10k_CNY": (Fraction(10**4), _MONEY),  # 万元
    "100m_CNY": (Fraction(10**8), _MONEY),  # 亿元
}

ALIASES: dict[str, str] = {
    "m³": "m3",
    "立方米": "m3",
    "万m3": "10k_m3",
    "万m³": "10k_m3",
    "万立方米": "10k_m3",
    "亿m3": "100m_m3",
    "亿m³": "100m_m3",
    "亿立方米": "100m_m3",
    "千瓦时": "kWh",
    "万kWh": "10k_kWh",
    "万千瓦时": "10k_kWh",
    "亿kWh": "100m_kWh",
    "亿千瓦时": "100m_kWh",
    "千克": "kg",
    "吨": "t",
    "万吨": "10k_t",
    "千克标准煤": "kgce",
    "吨标准煤": "tce",
    "万tce": "10k_tce",
    "万吨标准煤": "10k_tce",
    "kgCO₂": "kgCO2",
    "tCO₂": "tCO2",
    "kgCO₂e": "kgCO2e",
    "tCO₂e": "tCO2e",
    "万tCO2": "10k_tCO2",
    "万tCO2e": "10k_tCO2e",
    "分": "fen",
    "元": "CNY",
    "万元": "10k_CNY",
    "亿元": "100m_CNY",
}
"""Alternative spellings accepted on input (Chinese units, superscripts)."""

_PRODUCT_SEPARATORS = ("·", "⋅", "*")


class UnitError(ValueError):
    """A unit that is unknown, malformed or incompatible with what was asked; names the unit."""

    def __init__(self, unit: str, reason: str) -> None:
        super().__init__(f"unit {unit!r}: {reason}")
        self.unit = unit
        self.reason = reason


@dataclass(frozen=True)
class Unit:
    """A parsed unit: its symbol as written, exact scale to base units and dimension vector."""

    symbol: str
    scale: Fraction
    dimension: tuple[int, ...]

    @property
    def dimension_name(self) -> str:
        """Readable dimension, e.g. ``co2/energy``; ``1`` for a dimensionless ratio."""
        return dimension_name(self.dimension)


def dimension_name(dimension: tuple[int, ...]) -> str:
    """Readable form of a dimension vector: ``co2/energy``, ``energy/mass``, ``1``."""

    def side(sign: int) -> str:
        parts = []
        for name, exp in zip(DIMENSIONS, dimension, strict=True):
            if exp * sign > 0:
                parts.append(name if abs(exp) == 1 else f"{name}^{abs(exp)}")
        return "·".join(parts)

    num, den = side(1), side(-1)
    if not den:
        return num or "1"
    return f"{num or '1'}/{den}"


def known_units() -> tuple[str, ...]:
    """The canonical atom symbols (aliases not included), in registry order."""
    return tuple(_ATOMS)


def _atom(symbol: str, expression: str) -> tuple[Fraction, int]:
    canonical = ALIASES.get(symbol, symbol)
    try:
        return _ATOMS[canonical]
    except KeyError:
        detail = f" (in {expression!r})" if symbol != expression else ""
        raise UnitError(symbol, f"unknown unit{detail}") from None


def _split_product(text: str) -> list[str]:
    for sep in _PRODUCT_SEPARATORS[1:]:
        text = text.replace(sep, _PRODUCT_SEPARATORS[0])
    return [part.strip() for part in text.split(_PRODUCT_SEPARATORS[0])]


@cache
def parse_unit(expression: str) -> Unit:
    """Parse ``"tCO2/MWh"``, ``"kgce/kg"``, ``"tce/10k_m3"``, ``"CNY/tCO2"``, ``"万元"`` …

    Grammar: ``numerator[/denominator]`` where each side is one or more atoms joined by ``*``
    or ``·``; the numerator may be ``1``. Atoms are case-sensitive (``Gg`` is not ``gg``).

    Raises
    ------
    UnitError
        For a non-string, empty or malformed expression, or an atom not in the registry.
    """
    if not isinstance(expression, str):
        raise UnitError(repr(expression), "a unit must be given as a string")
    text = expression.strip()
    if not text:
        raise UnitError(expression, "empty unit")
    sides = text.split("/")
    if len(sides) > 2:
        raise UnitError(expression, "at most one '/' is allowed")
    scale = Fraction(1)
    dimension = [0] * len(DIMENSIONS)
    for sign, side in zip((1, -1), sides, strict=False):
        atoms = _split_product(side)
        if atoms == ["1"] and sign == 1:
            continue
        for atom in atoms:
            if not atom:
                raise UnitError(expression, "missing unit around '/' or '*'")
            atom_scale, index = _atom(atom, expression)
            scale = scale * atom_scale if sign == 1 else scale / atom_scale
            dimension[index] += sign
    return Unit(symbol=text, scale=scale, dimension=tuple(dimension))


def dimension_of(unit: str) -> str:
    """Readable dimension of ``unit`` (``"kgCO2/kWh"`` → ``"co2/energy"``)."""
    return parse_unit(unit).dimension_name


def _co2_relabelled(dimension: tuple[int, ...]) -> tuple[int, ...]:
    moved = list(dimension)
    moved[_CO2E] += moved[_CO2]
    moved[_CO2] = 0
    return tuple(moved)


def _compatible(source: Unit, target: Unit) -> bool:
    if source.dimension == target.dimension:
        return True
    # CO2 → CO2e only, with CO2 in the numerator (1 tCO2 is 1 tCO2e; the reverse is not true).
    return (
        source.dimension[_CO2] == 1
        and source.dimension[_CO2E] == 0
        and target.dimension[_CO2] == 0
        and _co2_relabelled(source.dimension) == target.dimension
    )


def is_compatible(from_unit: str, to_unit: str) -> bool:
    """Whether :func:`convert` accepts ``from_unit`` → ``to_unit`` (both must parse)."""
    return _compatible(parse_unit(from_unit), parse_unit(to_unit))


def conversion_factor(from_unit: str, to_unit: str) -> Fraction:
    """Exact ratio ``k`` with ``value_in_to_unit = value_in_from_unit × k``.

    Raises
    ------
    UnitError
        Unknown unit, or the dimensions differ (``kg`` → ``kgCO2``, ``kWh`` → ``t`` …).
    """
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    if not _compatible(source, target):
        raise UnitError(
            to_unit,
            f"cannot convert {from_unit!r} ({source.dimension_name}) "
            f"to {to_unit!r} ({target.dimension_name})",
        )
    return source.scale / target.scale


def exact(value: float | int | Fraction | Decimal) -> Fraction:
    """The rational value of a number: floats as the shortest decimal that round-trips."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a quantity")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return Fraction(repr(value))
    raise TypeError(f"not a number: {value!r}")


def _decimal(value: float | int | Fraction | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _scaled(value: Any, k: Fraction) -> Any:
    if isinstance(value, bool):
        raise TypeError("a bool is not a quantity")
    if isinstance(value, Fraction):
        return value * k
    if isinstance(value, Decimal):
        return value * Decimal(k.numerator) / Decimal(k.denominator)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return value * float(k)
        return float(exact(value) * k)
    # NumPy arrays, Polars Series / Expr and other array-likes: one float multiplication.
    return value if k == 1 else value * float(k)


def convert(value: Any, from_unit: str, to_unit: str) -> Any:
    """Convert ``value`` from ``from_unit`` to ``to_unit``.

    Equation: ``value_to = value_from × scale(from_unit) / scale(to_unit)`` with exact scales.

    Parameters
    ----------
    value
        ``int``/``float`` (returns ``float``), ``Decimal`` (returns ``Decimal``), ``Fraction``
        (returns ``Fraction``), or an array-like (NumPy, Polars) multiplied element-wise.
    from_unit, to_unit
        Unit expressions, e.g. ``"kgCO2/kWh"`` and ``"tCO2/MWh"``.

    Raises
    ------
    UnitError
        Unknown unit or different dimensions; the error names the offending unit.
    """
    return _scaled(value, conversion_factor(from_unit, to_unit))


def apply_factor(
    amount: Any, amount_unit: str, factor: Any, factor_unit: str, result_unit: str
) -> Any:
    """Multiply an activity amount by a factor, checking that the units give ``result_unit``.

    Equation: ``result = amount × factor × scale(amount_unit) × scale(factor_unit) /
    scale(result_unit)``; the dimensions must satisfy ``dim(amount_unit) + dim(factor_unit) =
    dim(result_unit)`` (CO2 may be reported as CO2e).

    Example: ``apply_factor(1000, "kWh", 0.5703, "tCO2/MWh", "tCO2") == 0.5703``.

    Raises
    ------
    UnitError
        Unknown unit, or the product does not have the dimension of ``result_unit`` (naming
        ``result_unit``).
    """
    a, f, r = parse_unit(amount_unit), parse_unit(factor_unit), parse_unit(result_unit)
    product = Unit(
        symbol=f"{amount_unit}·{factor_unit}",
        scale=a.scale * f.scale,
        dimension=tuple(x + y for x, y in zip(a.dimension, f.dimension, strict=True)),
    )
    if not _compatible(product, r):
        raise UnitError(
            result_unit,
            f"{amount_unit!r} × {factor_unit!r} is {product.dimension_name}, "
            f"not {r.dimension_name}",
        )
    k = product.scale / r.scale
    if isinstance(amount, int | float | Fraction | Decimal) and isinstance(
        factor, int | float | Fraction | Decimal
    ):
        if isinstance(amount, Decimal) or isinstance(factor, Decimal):
            return _scaled(_decimal(amount) * _decimal(factor), k)
        if isinstance(amount, Fraction) or isinstance(factor, Fraction):
            return exact(amount) * exact(factor) * k
        return float(exact(amount) * exact(factor) * k)
    # array-likes: fold a scalar side into the exact scale so the product is rounded once more
    scalar = (int, float, Fraction, Decimal)
    if isinstance(factor, scalar) and not isinstance(factor, bool):
        return amount * float(exact(factor) * k)
    if isinstance(amount, scalar) and not isinstance(amount, bool):
        return factor * float(exact(amount) * k)
    return amount * factor if k == 1 else amount * factor * float(k)


def carbon_to_co2(value: Any, from_unit: str, to_unit: str) -> Any:
    """Carbon mass (or a per-unit carbon content) to CO2: ``CO2 = C × 44/12``.

    ``from_unit`` must carry carbon in the numerator (``kgC``, ``kgC/GJ``) and ``to_unit`` the
    same dimension with CO2 in its place (``tCO2``, ``kgCO2/TJ``). Source: IPCC 2006 Guidelines
    Vol. 2 Ch. 1, Table 1.4 footnote (``EF = carbon content × 44/12 × 1000``, oxidation factor 1
    applied separately by the caller).

    Raises
    ------
    UnitError
        If ``from_unit`` is not a carbon quantity or ``to_unit`` not the matching CO2 quantity.
    """
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    if source.dimension[_C] != 1 or source.dimension[_CO2] or source.dimension[_CO2E]:
        raise UnitError(from_unit, f"not a carbon quantity ({source.dimension_name})")
    expected = list(source.dimension)
    expected[_C], expected[_CO2] = 0, 1
    if target.dimension != tuple(expected):
        raise UnitError(
            to_unit,
            f"carbon {from_unit!r} becomes {dimension_name(tuple(expected))}, "
            f"not {target.dimension_name}",
        )
    return _scaled(value, CO2_PER_C * source.scale / target.scale)


@dataclass(frozen=True)
class Quantity:
    """A number with its unit; arithmetic only between compatible units.

    >>> Quantity(1.5, "MWh").to("kWh")
    Quantity(value=1500.0, unit='kWh')
    """

    value: float
    unit: str

    def __post_init__(self) -> None:
        parse_unit(self.unit)

    @property
    def dimension(self) -> str:
        return dimension_of(self.unit)

    def to(self, unit: str) -> Quantity:
        """The same quantity in ``unit`` (exact conversion, see :func:`convert`)."""
        return Quantity(convert(self.value, self.unit, unit), unit)

    def __add__(self, other: Quantity) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        k = conversion_factor(other.unit, self.unit)
        return Quantity(float(exact(self.value) + exact(other.value) * k), self.unit)

    def __sub__(self, other: Quantity) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        k = conversion_factor(other.unit, self.unit)
        return Quantity(float(exact(self.value) - exact(other.value) * k), self.unit)

    def __mul__(self, number: float) -> Quantity:
        if isinstance(number, Quantity | bool):
            raise TypeError("multiply quantities with apply_factor(), which checks the units")
        return Quantity(float(exact(self.value) * exact(number)), self.unit)

    __rmul__ = __mul__

    def __truediv__(self, number: float) -> Quantity:
        if isinstance(number, Quantity | bool):
            raise TypeError("divide quantities explicitly and name the resulting unit")
        return Quantity(float(exact(self.value) / exact(number)), self.unit)


def total(quantities: Iterable[Quantity], unit: str) -> Quantity:
    """Sum quantities of one dimension in ``unit`` (exact rational sum, rounded once)."""
    acc = Fraction(0)
    for q in quantities:
        acc += exact(q.value) * conversion_factor(q.unit, unit)
    return Quantity(float(acc), unit)
