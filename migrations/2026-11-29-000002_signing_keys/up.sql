-- Ed25519 keys that sign access tokens, shared by every process on this
-- database. kid is the RFC 7638 thumbprint of the public key; public_x is the
-- raw public key (base64url); private_sealed is the PKCS#8 DER of the private
-- key, sealed with a key derived from JWT_SECRET and bound to kid. A key signs
-- from activates_at until a later key activates; it is deleted once every
-- token it signed has expired.
CREATE TABLE signing_keys (
    kid TEXT NOT NULL PRIMARY KEY,
    public_x TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    activates_at TIMESTAMP NOT NULL
);
