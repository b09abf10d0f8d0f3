#!/usr/bin/env python3
"""Generate a large, varied corpus of Azure Machine Learning infrastructure as
code from real-world samples, for benchmarks and the Checkov comparison.

Sources are folders of ARM templates (`.json`, with the parameter file beside
them), Bicep files and Terraform folders. Every generated unit is one source
unit with varied names and values: workspace and resource names get a suffix,
`publicNetworkAccess` / `public_network_access_enabled` and other security
switches are flipped at random, copy / count / range sizes vary, locations
change. Output is deterministic for a given seed.

Layout of the output folder (N units per format, each in its own folder so
that Terraform folders stay separate modules and ARM parameter files pair up):

    OUT/arm/00001-<source>/azuredeploy.json (+ azuredeploy.parameters.json)
    OUT/bicep/00001-<source>/main.bicep
    OUT/terraform/00001-<source>/main.tf

Usage:
    scripts/gen-corpus.py OUT --count 1000 [--formats arm,bicep,terraform]
        [--seed 7] [--source DIR ...]

Default sources: ../shared/corpus/realworld and examples/ (relative to the
repository). Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES = [REPO.parent / "shared" / "corpus" / "realworld", REPO / "examples"]
LOCATIONS = ["westeurope", "eastus", "eastus2", "northeurope", "uksouth", "australiaeast"]
FORMATS = ("arm", "bicep", "terraform")


# ---------------------------------------------------------------- discovery


def strip_json_comments(text: str) -> str:
    """Removes // and /* */ comments outside strings (ARM allows them)."""
    out, i, n, in_str = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        else:
            out.append(c)
        i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def load_json(path: Path):
    try:
        return json.loads(strip_json_comments(path.read_text(encoding="utf-8-sig")))
    except (ValueError, UnicodeDecodeError):
        return None


def arm_units(root: Path) -> list[tuple[Path, Path | None]]:
    """Entry templates (with their parameter file) that link no local file."""
    units = []
    for p in sorted(root.rglob("*.json")):
        if p.name.endswith(".parameters.json"):
            continue
        doc = load_json(p)
        if not isinstance(doc, dict) or "deploymentTemplate" not in str(doc.get("$schema", "")):
            continue
        if "relativePath" in p.read_text(encoding="utf-8-sig"):
            continue
        params = None
        for name in (f"{p.stem}.parameters.json", "azuredeploy.parameters.json"):
            if (p.parent / name).is_file():
                params = p.parent / name
                break
        units.append((p, params))
    return units


LOCAL_BICEP_MODULE = re.compile(r"^\s*module\s+\w+\s+'(?!br[:/]|ts[:/])", re.M)


def bicep_units(root: Path) -> list[Path]:
    """Bicep files that use no local module (registry modules are fine)."""
    return [
        p
        for p in sorted(root.rglob("*.bicep"))
        if not LOCAL_BICEP_MODULE.search(p.read_text(encoding="utf-8-sig"))
        and "loadTextContent" not in p.read_text(encoding="utf-8-sig")
    ]


LOCAL_TF_MODULE = re.compile(r'^\s*source\s*=\s*"\.{1,2}/', re.M)


def terraform_units(root: Path) -> list[list[Path]]:
    """Terraform folders (all their .tf files) that call no local module."""
    folders: dict[Path, list[Path]] = {}
    for p in sorted(root.rglob("*.tf")):
        folders.setdefault(p.parent, []).append(p)
    units = []
    for _, files in sorted(folders.items()):
        text = "".join(f.read_text(encoding="utf-8") for f in files)
        if LOCAL_TF_MODULE.search(text):
            continue
        units.append(files)
    return units


# ---------------------------------------------------------------- variation


class Varier:
    """Applies seeded variations to one unit."""

    def __init__(self, rng: random.Random, index: int):
        self.rng = rng
        self.suffix = f"{index:05d}{rng.randrange(16**3):03x}"

    def flip(self, enabled_value, disabled_value):
        return enabled_value if self.rng.random() < 0.5 else disabled_value

    # ARM: walk the JSON document.
    def arm(self, node, key: str = ""):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                lk = k.lower()
                if lk == "publicnetworkaccess" and v in ("Enabled", "Disabled"):
                    out[k] = self.flip("Enabled", "Disabled")
                elif lk in ("hbiworkspace", "v1legacymode", "disablelocalauth", "enablenodepublicip") and isinstance(v, bool):
                    out[k] = self.rng.random() < 0.5
                elif lk == "count" and key == "copy" and isinstance(v, int):
                    out[k] = self.rng.randint(1, 8)
                elif lk == "location" and isinstance(v, str) and not v.startswith("["):
                    out[k] = self.rng.choice(LOCATIONS)
                elif lk == "name" and isinstance(v, str) and v and not v.startswith("[") and key != "copy":
                    out[k] = f"{v}-{self.suffix}"[:60]
                elif lk in ("defaultvalue", "value") and isinstance(v, str) and key.lower().endswith("name") and not v.startswith("[") and "allowedValues" not in node:
                    out[k] = f"{v}{self.suffix}"[:60]
                elif lk in ("defaultvalue", "value") and key.lower() == "publicnetworkaccess" and v in ("Enabled", "Disabled"):
                    out[k] = self.flip("Enabled", "Disabled")
                else:
                    out[k] = self.arm(v, k)
            return out
        if isinstance(node, list):
            return [self.arm(v, key) for v in node]
        return node

    def bicep(self, text: str) -> str:
        text = re.sub(
            r"(publicNetworkAccess\s*:\s*)'(Enabled|Disabled)'",
            lambda m: f"{m.group(1)}'{self.flip('Enabled', 'Disabled')}'",
            text,
        )
        text = re.sub(
            r"(\b(?:hbiWorkspace|v1LegacyMode|disableLocalAuth|enableNodePublicIp)\s*:\s*)(true|false)\b",
            lambda m: f"{m.group(1)}{self.flip('true', 'false')}",
            text,
        )
        text = re.sub(
            r"(\brange\(\s*0\s*,\s*)(\d+)(\s*\))",
            lambda m: f"{m.group(1)}{self.rng.randint(1, 8)}{m.group(3)}",
            text,
        )
        text = re.sub(
            r"(^\s*name\s*:\s*')([^'$]+)(')",
            lambda m: f"{m.group(1)}{m.group(2)}-{self.suffix}{m.group(3)}",
            text,
            flags=re.M,
        )
        text = re.sub(
            r"(^\s*location\s*:\s*)'[a-z0-9]+'",
            lambda m: f"{m.group(1)}'{self.rng.choice(LOCATIONS)}'",
            text,
            flags=re.M,
        )
        return f"// generated unit {self.suffix}\n{text}"

    def terraform(self, text: str) -> str:
        text = re.sub(
            r"(\b(?:public_network_access_enabled|high_business_impact|local_auth_enabled|node_public_ip_enabled)\s*=\s*)(true|false)\b",
            lambda m: f"{m.group(1)}{self.flip('true', 'false')}",
            text,
        )
        text = re.sub(
            r"(^\s*count\s*=\s*)(\d+)\s*$",
            lambda m: f"{m.group(1)}{self.rng.randint(0, 4)}",
            text,
            flags=re.M,
        )
        text = re.sub(
            r'(^\s*name\s*=\s*")([^"$]+)(")',
            lambda m: f"{m.group(1)}{m.group(2)}-{self.suffix}{m.group(3)}",
            text,
            flags=re.M,
        )
        text = re.sub(
            r'(^\s*(?:location|default)\s*=\s*)"(westeurope|eastus2?|westus2?|northeurope|uksouth)"',
            lambda m: f'{m.group(1)}"{self.rng.choice(LOCATIONS)}"',
            text,
            flags=re.M,
        )
        return f"# generated unit {self.suffix}\n{text}"


# ---------------------------------------------------------------- writing


def slug(path: Path) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.as_posix().lower()).strip("-")[-40:]


def generate(out: Path, count: int, formats: list[str], sources: list[Path], seed: int) -> dict[str, int]:
    arm, bicep, tf = [], [], []
    for s in sources:
        arm += arm_units(s)
        bicep += bicep_units(s)
        tf += terraform_units(s)
    pools = {"arm": arm, "bicep": bicep, "terraform": tf}
    written = {}
    for fmt in formats:
        pool = pools[fmt]
        if not pool:
            print(f"gen-corpus: no {fmt} sources found", file=sys.stderr)
            continue
        rng = random.Random(f"{seed}:{fmt}")
        target = out / fmt
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        order = list(range(len(pool)))
        files = 0
        for i in range(count):
            if i % len(pool) == 0:
                rng.shuffle(order)
            unit = pool[order[i % len(pool)]]
            v = Varier(rng, i + 1)
            if fmt == "arm":
                template, params = unit
                d = target / f"{i + 1:05d}-{slug(template.parent)}"
                d.mkdir()
                doc = v.arm(load_json(template))
                (d / "azuredeploy.json").write_text(json.dumps(doc, indent=2) + "\n")
                if params is not None and (p := load_json(params)) is not None:
                    (d / "azuredeploy.parameters.json").write_text(json.dumps(v.arm(p), indent=2) + "\n")
            elif fmt == "bicep":
                d = target / f"{i + 1:05d}-{slug(unit.with_suffix(''))}"
                d.mkdir()
                (d / "main.bicep").write_text(v.bicep(unit.read_text(encoding="utf-8-sig")))
            else:
                d = target / f"{i + 1:05d}-{slug(unit[0].parent)}"
                d.mkdir()
                text = "\n".join(f.read_text(encoding="utf-8") for f in unit)
                (d / "main.tf").write_text(v.terraform(text))
            files += 1
        written[fmt] = files
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="output folder (per-format subfolders are replaced)")
    ap.add_argument("--count", type=int, default=1000, help="units per format (default 1000)")
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated: arm,bicep,terraform")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--source", type=Path, action="append", help="source folder (repeatable)")
    args = ap.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        ap.error(f"unknown format(s): {', '.join(bad)}")
    sources = args.source or [s for s in DEFAULT_SOURCES if s.is_dir()]
    written = generate(args.out, args.count, formats, sources, args.seed)
    for fmt, n in written.items():
        print(f"{fmt}: {n} units in {args.out / fmt}")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
