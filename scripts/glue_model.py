#!/usr/bin/env python3
"""Writes src/api/glue_model.json: the part of botocore's Glue 2017-03-31 model that Hydrant serves.

The operations Hydrant's Glue Data Catalog answers, with every shape they reach (input, output,
errors), without documentation. Run from the repository root with the machine's botocore:
    python3 scripts/glue_model.py
"""
import gzip
import json
import os

import botocore

OPERATIONS = ["CreateDatabase", "GetDatabase", "GetDatabases", "DeleteDatabase", "CreateTable", "GetTable",
              "GetTables", "UpdateTable", "DeleteTable", "GetTableVersion", "GetTableVersions"]


def main():
    path = os.path.join(os.path.dirname(botocore.__file__), "data", "glue", "2017-03-31", "service-2.json.gz")
    model = json.load(gzip.open(path))
    shapes, needed = model["shapes"], set()

    def reach(name):
        if name in needed:
            return
        needed.add(name)
        shape = shapes[name]
        for key in ("member", "key", "value"):
            if key in shape:
                reach(shape[key]["shape"])
        for member in shape.get("members", {}).values():
            reach(member["shape"])

    for name in OPERATIONS:
        operation = model["operations"][name]
        for key in ("input", "output"):
            if key in operation:
                reach(operation[key]["shape"])
        for error in operation.get("errors", []):
            reach(error["shape"])

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "documentation"}
        return [strip(v) for v in x] if isinstance(x, list) else x

    subset = {"version": model.get("version", "2.0"), "metadata": model["metadata"],
              "operations": {name: model["operations"][name] for name in OPERATIONS},
              "shapes": {name: shapes[name] for name in sorted(needed)}}
    with open("src/api/glue_model.json", "w") as f:
        json.dump(strip(subset), f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
