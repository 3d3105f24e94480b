"""The report and the map as a person sees them: headless Chromium, no network.

Needs Debian's ``chromium`` (and ``fonts-noto-cjk`` for Chinese glyphs); the tests skip with a
message where it is not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from siting import Plan, PlanContext
from siting.report import write_report

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (apt-get install -y chromium fonts-noto-cjk)",
)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=5000",
]


@pytest.fixture(scope="module")
def pages(
    context: PlanContext, plan: Plan, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Plan, Path]:
    outdir = tmp_path_factory.mktemp("browser")
    write_report(plan, context, outdir)
    return plan, outdir


def _chromium(page: Path, profile: Path, *extra: str) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True, text=True, timeout=90, check=True,
    )
    return done.stdout


def _not_blank(png: Path) -> None:
    pixels = imread(png)[..., :3]
    colours = np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50, f"{png.name}: only {len(colours)} colours"
    assert pixels.std() > 0.02


def test_map_renders_every_layer(pages: tuple[Plan, Path], tmp_path: Path) -> None:
    plan, outdir = pages
    dom = _chromium(outdir / "map.html", tmp_path / "profile", "--dump-dom")
    assert 'data-ready="1"' in dom, "the map script ran to its end"
    classes = re.findall(r'class="([^"]*leaflet-interactive[^"]*)"', dom)
    demand = sum("demand-point" in c for c in classes)
    assert demand > 0
    assert sum("outlet-point" in c for c in classes) > 0
    assert sum("isochrone" in c for c in classes) >= len({p.site_id for p in plan.projects})
    assert sum("rank-icon" in c for c in classes) == len(plan.projects)
    control = dom.split("leaflet-control-layers-overlays")[1]
    for name in ("Demand coverage", "Existing outlets", "15-min walk", "Projects", "Communities"):
        assert name in control
    assert dom.count("<option") == len(plan.type_summary)


def test_report_renders_the_project_list(pages: tuple[Plan, Path], tmp_path: Path) -> None:
    plan, outdir = pages
    dom = _chromium(outdir / "report.html", tmp_path / "profile", "--dump-dom")
    body = dom.split('<table class="projects">')[1].split("</table>")[0]
    assert body.count("<tr>") == len(plan.projects) + 1
    assert 'id="lang-switch"' in dom
    assert 'id="map-frame"' in dom
    assert dom.count('class="chart"') == 5
    tiers = dom.split('<table class="tiers">')[1].split("</table>")[0].split("<tbody>")[1]
    assert tiers.count("<tr>") == len(plan.tiers.communities)
    targets = dom.split('<table class="city-targets">')[1].split("</table>")[0]
    assert plan.progress is not None
    for target in plan.progress.city_targets:
        assert f"<td>{target.key}</td>" in targets
        assert f"<td>{target.required}</td>" in targets


def _visible_text(page: Path, copy: Path, profile: Path, fragment: str = "") -> str:
    """The text a reader sees (``innerText`` skips what CSS hides), from a copy of ``page``
    with a probe script appended that writes it into the DOM."""
    probe = ('<script>const seen = document.body.innerText; const out = '
             'document.createElement("pre"); out.id = "visible"; out.textContent = seen; '
             "document.body.append(out);</script></body>")
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", probe),
                    encoding="utf-8")
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", copy.as_uri() + fragment],
        capture_output=True, text=True, timeout=90, check=True,
    )
    return done.stdout.split('<pre id="visible">')[1].split("</pre>")[0]


def test_language_switch_by_url_fragment(pages: tuple[Plan, Path], tmp_path: Path) -> None:
    _, outdir = pages
    page = outdir / "report.html"
    english = _visible_text(page, outdir / "probe-en.html", tmp_path / "en", "#lang=en")
    chinese = _visible_text(page, outdir / "probe-zh.html", tmp_path / "zh")
    for en, zh in [("Summary", "概要"), ("Circle tiers and progress", "生活圈等级与建设进度"),
                   ("Kaifeng city targets", "开封市建设目标"), ("placeholders", "占位假设"),
                   ("Spend by phase", "投资")]:
        assert en in english, en
        assert zh not in english, zh
        assert zh in chinese, zh
        assert en not in chinese, en


@pytest.mark.parametrize("page", ["map.html", "report.html"])
def test_screenshot_is_not_blank(pages: tuple[Plan, Path], tmp_path: Path, page: str) -> None:
    _, outdir = pages
    shot = tmp_path / "shot.png"
    _chromium(outdir / page, tmp_path / "profile", f"--screenshot={shot}",
              "--window-size=1280,900")
    _not_blank(shot)
