"""The countries and capitals the analysis knows, to tell a country from a city."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from summarize._analysis.facts import EntityKind, name_key

GAZETTEER = Path(__file__).with_name("gazetteer.json")  # see Gazetteer


class Gazetteer:
    """Countries (names, other spellings, ISO codes) and capitals: to tell a country from a
    city among the places, and a capital mistaken for a person. Made from countryinfo by
    scripts/gazetteer.py and shipped as GAZETTEER: countryinfo itself reads some 270 files
    of borders and provinces on every start to give these few names."""

    _instance: Gazetteer | None = None

    def __init__(self, countries: dict[str, str], capitals: Iterable[str]) -> None:
        self.countries = countries  # a spelling's key: the country's name
        self.capitals = set(capitals)  # keys

    @classmethod
    def get(cls) -> Gazetteer:
        if cls._instance is None:
            data = json.loads(GAZETTEER.read_text(encoding="utf-8"))
            cls._instance = Gazetteer(data["countries"], data["capitals"])
        return cls._instance

    @classmethod
    def from_countryinfo(cls) -> Gazetteer:
        import countryinfo

        countries: dict[str, str] = {}
        capitals: set[str] = set()
        for country in countryinfo.all_countries():
            name = country.name()
            for spelling in [name, *country.alt_spellings()]:
                countries.setdefault(name_key(spelling), name)
            found = country.capital() or []
            for capital in [found] if isinstance(found, str) else found:
                capitals.add(name_key(capital))
        # Spellings every English newsroom uses that the ISO list leaves out.
        for spelling, name in (("america", "United States"), ("uk", "United Kingdom")):
            countries.setdefault(spelling, name)
        return cls(countries, capitals)

    def to_json(self) -> str:
        data = {"countries": self.countries, "capitals": sorted(self.capitals)}
        return json.dumps(data, ensure_ascii=False, indent=0) + "\n"

    def country(self, key: str) -> str | None:
        return self.countries.get(key)

    def place_kind(self, key: str) -> EntityKind | None:
        if key in self.countries:
            return "country"
        return "place" if key in self.capitals else None
