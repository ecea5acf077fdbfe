"""Round trip of every real legacy DaVinci export in shared/samples/davinci (and oob/) through the emulator.

Each file is imported with the legacy import content type (the raw file text is embedded in the request, so number
literals reach the server untouched), then exported (includeSubFlows, includeVariableValues), mapped back to the
legacy shape with the reference §6 correspondence and compared with the original. Only the fields the provider owns
may differ (README.md, "PingOne DaVinci" -> "Round trip"). Numbers are compared by their literal text.
"""
from __future__ import annotations

import glob
import json
import os
import typing as t

import pytest

from test_davinci import CT_IMPORT_LEGACY, ENV_A, DaVinci, base_seed  # pylint: disable=import-error

from emulator.client import EmulatorClient
from shared_samples import sample  # pylint: disable=import-error

SAMPLES_DIR = sample("davinci")
SAMPLE_FILES = sorted(glob.glob(os.path.join(SAMPLES_DIR, "*.json")) + glob.glob(os.path.join(SAMPLES_DIR, "oob", "*.json")))

# Legacy keys the provider owns: replaced by its own id / environment / versions / timestamps (or dropped).
LEGACY_OWNED = {"flowId", "companyId", "customerId", "currentVersion", "publishedVersion", "versionId", "versionInfo",
                "createdDate", "updatedDate", "deployedDate", "savedDate", "connectorIds", "variables"}
EXPORT_OWNED = {"_links", "_embedded", "environment", "flow", "version", "publishedVersion", "createdAt", "updatedAt", "deployedAt",
                "connectors", "enabled", "variables"}
VARIABLE_OWNED = {"id", "companyId", "customerId", "createdDate", "updatedDate", "flowId"}
DEFAULT_INPUT_NAMES = ["loginHint", "maxSecondsSinceLastSignOn", "authorizationRequest", "samlRequest", "wsFedRequest", "application", "relayState"]


def literal_loads(text: str) -> t.Any:
    """Parse JSON keeping every non-integer number as its literal text, so ``1E+50`` != ``1e+50``."""
    return json.loads(text, parse_float=lambda s: ("<number>", s))


def replace_ids(obj: t.Any, id_map: dict[str, str]) -> t.Any:
    """Rewrite source flow IDs to the emulator's IDs wherever a string equals or embeds one."""
    if isinstance(obj, dict):
        return {k: replace_ids(v, id_map) for k, v in obj.items()}
    if isinstance(obj, list):
        return [replace_ids(v, id_map) for v in obj]
    if isinstance(obj, str):
        for old, new in id_map.items():
            if old in obj:
                obj = obj.replace(old, new)
        return obj
    return obj


def normalise_variables(items: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in item.items() if k not in VARIABLE_OWNED} for item in items), key=lambda v: v["name"])


def export_to_legacy(export: dict, original: dict) -> dict:
    """Inverse of the reference §6 mapping, for the keys the provider renames."""
    legacy = {k: v for k, v in export.items() if k not in EXPORT_OWNED}
    legacy["name"] = export["flow"]["name"]
    legacy["flowStatus"] = "enabled" if export["enabled"] else "disabled"
    if "color" in legacy and "flowColor" in original and "color" not in original:
        legacy["flowColor"] = legacy.pop("color")
    if "outputSchema" in legacy and "outputSchemaCompiled" in original and "outputSchema" not in original:
        legacy["outputSchemaCompiled"] = legacy.pop("outputSchema")
    return legacy


def check_flow(original: dict, export: dict, id_map: dict[str, str], environment: str) -> None:
    new_id = id_map[original["flowId"]]
    assert export["flow"]["id"] == new_id and export["environment"] == {"id": environment}
    assert export["version"] == 1 and export["publishedVersion"] == 1
    assert {c["id"] for c in export["connectors"]} == set(original.get("connectorIds", [])) or not original.get("connectorIds")
    expected = replace_ids({k: v for k, v in original.items() if k not in LEGACY_OWNED}, id_map)
    actual = export_to_legacy(export, original)
    trigger = original.get("trigger") or {}
    if trigger.get("type") == "AUTHENTICATION" and "inputSchema" not in original:  # the provider fills the default inputSchema
        assert [item["propertyName"] for item in actual.pop("inputSchema")] == DEFAULT_INPUT_NAMES
    assert sorted(actual) == sorted(expected)
    for key in expected:
        assert actual[key] == expected[key], f"{original['name']}: key {key!r} differs after the round trip"
    want_vars = normalise_variables(replace_ids(original.get("variables", []), id_map))
    got_vars = normalise_variables(export["variables"])
    assert got_vars == want_vars
    for item in export["variables"]:
        assert item["companyId"] == environment and len(item["id"]) == 36
        if item["context"] == "flow":
            assert item["flowId"] in id_map.values()


def import_raw(client: DaVinci, raw: str, name: str, mapping: dict[str, str]) -> dict[str, str]:
    """Legacy-import the file text as ``flowInfo``; return {source flow id: new flow id}."""
    body = f'{{"name": {json.dumps(name)}, "description": null, "flowNameMapping": {json.dumps(mapping)}, "flowInfo": {raw}}}'
    imported = client.call("POST", "/flows", raw=body.encode("utf-8"), content_type=CT_IMPORT_LEGACY + "; charset=UTF-8")
    assert imported.status_code == 201, imported.text[:2000]
    result = literal_loads(imported.text)
    by_name = {item["flow"]["name"]: item["flow"]["id"] for item in [result] + result.get("_embedded", [])}
    return {source_id: by_name[source_name] for source_id, source_name in mapping.items()}


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[os.path.relpath(p, SAMPLES_DIR) for p in SAMPLE_FILES])
def test_sample_round_trip(emulator: EmulatorClient, path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        raw = handle.read()
    document = literal_loads(raw)
    flows = document["flows"] if "flows" in document else [document]
    main = next((f for f in flows if f.get("parentFlowId") == f["flowId"]), flows[0])
    mapping = {f["flowId"]: f["name"] for f in flows}
    emulator.seed(base_seed())
    client = DaVinci(emulator.base_url)
    client.login()
    id_map = import_raw(client, raw, main["name"], mapping)
    response = client.export(id_map[main["flowId"]], 1, {"includeSubFlows": True, "includeVariableValues": True})
    assert response.status_code == 200
    export = literal_loads(response.text)
    exports = {item["flow"]["id"]: item for item in [export] + export.get("_embedded", [])}
    assert set(exports) == set(id_map.values())  # the subflows of a multi-flow file come back in _embedded
    for flow in flows:
        check_flow(flow, exports[id_map[flow["flowId"]]], id_map, ENV_A)
    for literal in ("1e-50", "1e+50", "1E-50", "1E+50"):
        assert (literal in raw) == (literal in response.text), literal
