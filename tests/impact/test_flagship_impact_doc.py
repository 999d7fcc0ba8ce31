"""The numbers docs/impact.md gives for the buildings of the flagship run ("Example: Groningen") are
those of a fresh run of cases/groningen_deep.toml (analytic, a few seconds) and
``subsidence impact`` with cases/groningen_buildings.csv.

Guards against: the doc's range of the buildings' horizontal strains going stale (it said −2.2e-5
where the run gives −2.5e-5).
"""

import csv
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def flagship_impact(tmp_path_factory):
    import subsidence
    from subsidence.impact.cli import run_impact

    repo_root = ROOT
    tmp = tmp_path_factory.mktemp("flagship")
    text = (repo_root / "cases" / "groningen_deep.toml").read_text(encoding="utf-8")
    case = tmp / "groningen_deep.toml"  # the case as shipped, its files by absolute path
    case.write_text(text.replace('"../validation/', f'"{(repo_root / "validation").as_posix()}/'), encoding="utf-8")
    subsidence.run(case, out=tmp / "groningen")
    res = run_impact(tmp / "groningen", repo_root / "cases" / "groningen_buildings.csv", tmp / "impact")
    with open(res["out"] / "buildings.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f)), res["summary"]


def _doc(text: str) -> float:
    return float(text.replace("−", "-"))


def _g2(v: float) -> float:
    """``v`` to the two significant digits the doc gives."""
    return float(f"{v:.1e}")


def test_the_docs_numbers_of_the_groningen_buildings(flagship_impact, repo_root):
    rows, summary = flagship_impact
    doc = " ".join((repo_root / "docs" / "impact.md").read_text(encoding="utf-8").split())
    para = doc[doc.index("## Example: Groningen"):doc.index("## Tests")]
    assert summary["assessed"] == 24 and summary["counts"]["0"] == 24 and summary["invalid"] == 1
    assert "all 24 are category 0" in para
    hs = [float(r["horizontal_strain"]) for r in rows]
    m = re.search(r"horizontal strains along the buildings lie between (\S+) and (\S+) \(compression\)", para)
    assert m is not None, para
    assert (_doc(m.group(1)), _doc(m.group(2))) == (_g2(min(hs)), _g2(max(hs)))
    top = max(rows, key=lambda r: float(r["limiting_tensile_strain"]))
    m = re.search(r"the largest limiting tensile strain is (\S+) \(.*?deflection ratio (\S+)\)", para)
    assert m is not None, para
    assert _doc(m.group(1)) == _g2(float(top["limiting_tensile_strain"]))
    assert _doc(m.group(2).rstrip(";")) == _g2(abs(float(top["deflection_ratio"])))
    assert f"a {float(top['length_m']):g} m building at Uithuizen" in para and top["name"].startswith("uithuizen")
