"""Write summarize/_analysis/gazetteer.json, the countries and capitals the analysis knows,
from countryinfo. Run after upgrading countryinfo (tests/test_analysis.py checks they agree):

    python scripts/gazetteer.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from summarize._analysis.gazetteer import GAZETTEER, Gazetteer

if __name__ == "__main__":
    GAZETTEER.write_text(Gazetteer.from_countryinfo().to_json(), encoding="utf-8")
    print(f"wrote {GAZETTEER}")
