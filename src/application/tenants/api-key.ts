/**
 * An API key is `tg.<key id>.<secret>`: the key id finds the stored row, the secret is checked
 * against its stored hash. Only the holder ever sees the secret; it is shown once at creation.
 */
export type ParsedApiKey = { readonly keyId: string; readonly secret: string };

const apiKeyPattern = /^tg\.(key_[0-9a-f]{20})\.([A-Za-z0-9_-]{43})$/;

export function formatApiKey(keyId: string, secret: string): string {
  return `tg.${keyId}.${secret}`;
}

export function parseApiKey(text: string): ParsedApiKey | undefined {
  const match = apiKeyPattern.exec(text);
  return match && match[1] && match[2] ? { keyId: match[1], secret: match[2] } : undefined;
}

/** Scopes a key may carry; the only one today grants every tenant-level RPC. */
export const allScopes = ["tenant:admin"] as const;
