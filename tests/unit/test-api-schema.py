#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Validates REST response bodies against Cloud Hypervisor's OpenAPI schemas.
#
#   test-api-schema.py OPENAPI.yaml SCHEMA=FILE...
#
# SCHEMA is a name under components/schemas (VmInfo, VmmPingResponse,
# VmCounters, ...) or ErrorChain, CH's error body (a JSON array of strings,
# which the OpenAPI file does not describe).  Run with Debian's python3
# (python3-jsonschema, python3-yaml), not a pyenv interpreter.
import json
import sys

import jsonschema
import yaml

ERROR_CHAIN = {"type": "array", "minItems": 1, "items": {"type": "string"}}


def schema_for(doc, name):
    if name == "ErrorChain":
        return ERROR_CHAIN
    if name not in doc["components"]["schemas"]:
        sys.exit(f"test-api-schema: no schema '{name}' in the OpenAPI file")
    # OpenAPI 3.0 schemas are JSON Schema plus a few keywords jsonschema
    # ignores (format: int64, nullable); "#/components/schemas/X" references
    # resolve inside this same document.
    return {"$ref": f"#/components/schemas/{name}",
            "components": doc["components"]}


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: test-api-schema.py OPENAPI.yaml SCHEMA=FILE...")
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    failed = 0
    for arg in sys.argv[2:]:
        name, _, path = arg.partition("=")
        with open(path, encoding="utf-8") as f:
            instance = json.load(f)
        schema = schema_for(doc, name)
        validator = jsonschema.Draft7Validator(schema)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        for e in errors:
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            print(f"{path}: {name}: {where}: {e.message}")
        if errors:
            failed += 1
        else:
            print(f"{path}: valid {name}")
    sys.exit(1 if failed else 0)


main()
