/**
 * A reservation id names the customer and the caller's request id, so Commit, Extend and
 * Release (which carry only the reservation id) find the wallet without a lookup, and a retried
 * Authorize (same request id) names the same hold. Both parts are base64url, which has no ".".
 */
const prefix = "rsv";

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Whether every character is ASCII: then the text is its own UTF-8 byte string. */
const ascii = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
};

const encode = (text: string): string => {
  // Ids are printable ASCII in practice (the API's id rules): skip the UTF-8 round trip then.
  let bytes = text;
  if (!ascii(text)) {
    bytes = "";
    for (const byte of utf8Encoder.encode(text)) bytes += String.fromCharCode(byte);
  }
  return btoa(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const decode = (part: string): string | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    if (ascii(binary)) return binary;
    return utf8Decoder.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
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
