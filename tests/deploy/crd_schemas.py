"""Hand-written JSON schemas for the custom resources the chart renders.

kubernetes-validate ships schemas for built-in kinds only. These follow the upstream CRDs
(Gateway API v1.2, cert-manager v1, Secrets Store CSI driver v1) for the fields the chart uses,
and reject unknown fields at the levels where a typo would silently do nothing.
"""

from __future__ import annotations

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
HOSTNAME = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DURATION = r"^([0-9]{1,5}(h|m|s|ms)){1,4}$"

METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {"name": {"type": "string", "pattern": DNS_LABEL, "maxLength": 63}},
}

PARENT_REF = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "group": {"type": "string"},
        "kind": {"type": "string"},
        "namespace": {"type": "string"},
        "name": {"type": "string", "pattern": DNS_LABEL},
        "sectionName": {"type": "string", "pattern": DNS_LABEL},
        "port": {"type": "integer"},
    },
}

HEADER = {
    "type": "object",
    "required": ["name", "value"],
    "additionalProperties": False,
    "properties": {"name": {"type": "string", "pattern": "^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$"}, "value": {"type": "string"}},
}

HEADER_MODIFIER = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "set": {"type": "array", "items": HEADER, "maxItems": 16},
        "add": {"type": "array", "items": HEADER, "maxItems": 16},
        "remove": {"type": "array", "items": {"type": "string"}, "maxItems": 16},
    },
}

FILTER = {
    "type": "object",
    "required": ["type"],
    "additionalProperties": False,
    "properties": {
        "type": {
            "enum": ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "RequestMirror", "ExtensionRef"]
        },
        "requestHeaderModifier": HEADER_MODIFIER,
        "responseHeaderModifier": HEADER_MODIFIER,
        "requestRedirect": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "scheme": {"enum": ["http", "https"]},
                "hostname": {"type": "string"},
                "port": {"type": "integer"},
                "statusCode": {"enum": [301, 302]},
                "path": {"type": "object"},
            },
        },
    },
    "allOf": [
        {"if": {"properties": {"type": {"const": "RequestHeaderModifier"}}}, "then": {"required": ["requestHeaderModifier"]}},
        {"if": {"properties": {"type": {"const": "ResponseHeaderModifier"}}}, "then": {"required": ["responseHeaderModifier"]}},
        {"if": {"properties": {"type": {"const": "RequestRedirect"}}}, "then": {"required": ["requestRedirect"]}},
    ],
}

HTTPROUTE = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "gateway.networking.k8s.io/v1"},
        "kind": {"const": "HTTPRoute"},
        "metadata": METADATA,
        "spec": {
            "type": "object",
            "required": ["parentRefs", "rules"],
            "additionalProperties": False,
            "properties": {
                "parentRefs": {"type": "array", "minItems": 1, "maxItems": 32, "items": PARENT_REF},
                "hostnames": {"type": "array", "items": {"type": "string", "pattern": HOSTNAME}, "maxItems": 16},
                "rules": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 16,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string"},
                            "matches": {
                                "type": "array",
                                "maxItems": 64,
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {
                                        "path": {
                                            "type": "object",
                                            "additionalProperties": False,
                                            "properties": {
                                                "type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]},
                                                "value": {"type": "string", "pattern": "^/"},
                                            },
                                        },
                                        "headers": {"type": "array"},
                                        "queryParams": {"type": "array"},
                                        "method": {"type": "string"},
                                    },
                                },
                            },
                            "filters": {"type": "array", "maxItems": 16, "items": FILTER},
                            "backendRefs": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["name", "port"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "group": {"type": "string"},
                                        "kind": {"type": "string"},
                                        "name": {"type": "string"},
                                        "namespace": {"type": "string"},
                                        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                                        "weight": {"type": "integer"},
                                    },
                                },
                            },
                            "timeouts": {"type": "object"},
                            "sessionPersistence": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "sessionName": {"type": "string", "maxLength": 128},
                                    "absoluteTimeout": {"type": "string", "pattern": DURATION},
                                    "idleTimeout": {"type": "string", "pattern": DURATION},
                                    "type": {"enum": ["Cookie", "Header"]},
                                    "cookieConfig": {
                                        "type": "object",
                                        "additionalProperties": False,
                                        "properties": {"lifetimeType": {"enum": ["Permanent", "Session"]}},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

GATEWAY = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "gateway.networking.k8s.io/v1"},
        "kind": {"const": "Gateway"},
        "metadata": METADATA,
        "spec": {
            "type": "object",
            "required": ["gatewayClassName", "listeners"],
            "additionalProperties": False,
            "properties": {
                "gatewayClassName": {"type": "string", "minLength": 1},
                "addresses": {"type": "array"},
                "infrastructure": {"type": "object"},
                "listeners": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 64,
                    "items": {
                        "type": "object",
                        "required": ["name", "port", "protocol"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string", "pattern": DNS_LABEL},
                            "hostname": {"type": "string", "pattern": HOSTNAME},
                            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                            "protocol": {"enum": ["HTTP", "HTTPS", "TLS", "TCP", "UDP"]},
                            "tls": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "mode": {"enum": ["Terminate", "Passthrough"]},
                                    "certificateRefs": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["name"],
                                            "properties": {"kind": {"const": "Secret"}, "name": {"type": "string"}},
                                        },
                                    },
                                    "options": {"type": "object"},
                                },
                            },
                            "allowedRoutes": {"type": "object"},
                        },
                        "if": {"properties": {"protocol": {"const": "HTTPS"}}},
                        "then": {"required": ["tls"]},
                    },
                },
            },
        },
    },
}

CERTIFICATE = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "cert-manager.io/v1"},
        "kind": {"const": "Certificate"},
        "metadata": METADATA,
        "spec": {
            "type": "object",
            "required": ["secretName", "issuerRef"],
            "additionalProperties": False,
            "properties": {
                "secretName": {"type": "string", "minLength": 1},
                "commonName": {"type": "string"},
                "dnsNames": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": HOSTNAME}},
                "duration": {"type": "string"},
                "renewBefore": {"type": "string"},
                "issuerRef": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"enum": ["Issuer", "ClusterIssuer"]},
                        "group": {"type": "string"},
                    },
                },
                "privateKey": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "algorithm": {"enum": ["RSA", "ECDSA", "Ed25519"]},
                        "size": {"type": "integer"},
                        "encoding": {"enum": ["PKCS1", "PKCS8"]},
                        "rotationPolicy": {"enum": ["Never", "Always"]},
                    },
                },
            },
        },
    },
}

SECRET_PROVIDER_CLASS = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "secrets-store.csi.x-k8s.io/v1"},
        "kind": {"const": "SecretProviderClass"},
        "metadata": METADATA,
        "spec": {
            "type": "object",
            "required": ["provider", "parameters"],
            "additionalProperties": False,
            "properties": {
                "provider": {"const": "azure"},
                "parameters": {
                    "type": "object",
                    "required": ["keyvaultName", "tenantId", "clientID", "objects"],
                    # The CSI driver passes these through as strings; a YAML bool here breaks the mount.
                    "additionalProperties": {"type": "string"},
                },
                "secretObjects": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["secretName", "type", "data"],
                        "properties": {
                            "secretName": {"type": "string"},
                            "type": {"type": "string"},
                            "labels": {"type": "object"},
                            "data": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["objectName", "key"],
                                    "additionalProperties": False,
                                    "properties": {"objectName": {"type": "string"}, "key": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

SCHEMAS = {
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): HTTPROUTE,
    ("gateway.networking.k8s.io/v1", "Gateway"): GATEWAY,
    ("cert-manager.io/v1", "Certificate"): CERTIFICATE,
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"): SECRET_PROVIDER_CLASS,
}
