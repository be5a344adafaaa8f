"""Node's certificate object from the library's JSON: raw/pubkey back to
bytes, and the "[Circular]" root marker turned back into a self reference."""
from __future__ import annotations

import base64
import json
from typing import Any, Dict, Optional

__all__ = ["cert_from_json"]


def _fix(obj: Dict[str, Any]) -> Dict[str, Any]:
    node = obj
    while isinstance(node, dict):
        for k in ("raw", "pubkey"):
            if isinstance(node.get(k), str):
                node[k] = base64.b64decode(node[k])
        nxt = node.get("issuerCertificate")
        if nxt == "[Circular]":
            node["issuerCertificate"] = node
            break
        node = nxt
    return obj


def cert_from_json(text: Optional[str]) -> Optional[Dict[str, Any]]:
    """A certificate dict ({} when the peer sent none), None for None."""
    if text is None:
        return None
    return _fix(json.loads(text))
