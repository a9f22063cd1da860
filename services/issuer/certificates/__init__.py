"""Certificates issued by the issuer service (rendering, signing, ...)."""
