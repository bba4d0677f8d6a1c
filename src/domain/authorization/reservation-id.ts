/**
 * A reservation id names the customer and the caller's request id, so Commit, Extend and
 * Release (which carry only the reservation id) find the wallet without a lookup, and a retried
 * Authorize (same request id) names the same hold. Both parts are base64url, which has no ".".
 */
const prefix = "rsv";

const encode = (text: string): string => {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) out += String.fromCharCode(byte);
  return btoa(out).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const decode = (part: string): string | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
};

export const reservationIdFor = (customerId: string, requestId: string): string => `${prefix}.${encode(customerId)}.${encode(requestId)}`;

/** The customer and request a reservation id names, or undefined for text Tollgate did not issue. */
export function parseReservationId(id: string): { readonly customerId: string; readonly requestId: string } | undefined {
  const [head, customer, request, ...rest] = id.split(".");
  if (head !== prefix || customer === undefined || request === undefined || rest.length > 0) return undefined;
  const customerId = decode(customer);
  const requestId = decode(request);
  if (!customerId || !requestId || reservationIdFor(customerId, requestId) !== id) return undefined;
  return { customerId, requestId };
}
