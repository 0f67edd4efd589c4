"""Schemathesis hooks for tests/http/openapi_test.py (loaded through SCHEMATHESIS_HOOKS).

docs/openapi.yaml describes an NDJSON body (application/x-ndjson) as an array, one item a line:
these send a generated array as NDJSON and read an NDJSON answer back as an array, so that
schemathesis posts batches and checks their answers like any JSON body.
"""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson_body(ctx, value):
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode()


@schemathesis.deserializer("application/x-ndjson")
def ndjson_answer(ctx, response):
    # Lines end at "\n" alone: a string may hold U+0085 or U+2028, which str.splitlines would split at.
    return [json.loads(line) for line in response.content.decode().split("\n") if line.strip()]
