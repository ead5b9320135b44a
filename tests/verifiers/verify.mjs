// Verify a taskgate access token as a Node service would: `jose` with the
// JWKS URL, issuer and audience, and nothing else.
//
// Usage: node verify.mjs <jwks_url> <token>   (run `npm ci` here first)
// Prints the token's `sub` and exits 0 when it verifies; otherwise prints
// the reason on stderr and exits 1.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const args = process.argv.slice(2);
if (args.length !== 2) {
  console.error('usage: node verify.mjs <jwks_url> <token>');
  process.exit(1);
}
const [jwksUrl, token] = args;
try {
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  const { payload } = await jwtVerify(token, jwks, {
    issuer: 'taskgate',
    audience: 'taskgate',
    algorithms: ['EdDSA'],
  });
  console.log(payload.sub);
} catch (e) {
  console.error(`refused: ${e.code ?? e.name}: ${e.message}`);
  process.exit(1);
}
