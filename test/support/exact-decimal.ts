/**
 * Exact decimal arithmetic for expected values in tests, on bigint with 18 fractional digits:
 * independent of the code under test, so a rounding or float slip there cannot hide here.
 */
const scale = 18;
const unit = 10n ** BigInt(scale);

/** An exact decimal as a bigint count of 10^-18. */
export type Exact = bigint;

export function exact(text: string): Exact {
  const match = /^(-?)(\d+)(?:\.(\d{1,18}))?$/.exec(text);
  if (!match) throw new Error(`not a decimal with at most ${scale} fractional digits: ${text}`);
  const [, sign, whole = "0", fraction = ""] = match;
  const value = BigInt(whole) * unit + BigInt(fraction.padEnd(scale, "0"));
  return sign === "-" ? -value : value;
}

/** Product of two exact decimals; throws when it needs more than 18 fractional digits. */
export function times(a: Exact, b: Exact): Exact {
  const product = a * b;
  if (product % unit !== 0n) throw new Error("product needs more than 18 fractional digits");
  return product / unit;
}

export const sum = (values: Iterable<Exact>): Exact => {
  let total = 0n;
  for (const v of values) total += v;
  return total;
};

/** Canonical text: no exponent, no trailing fractional zeros ("0.00765625", "3", "-1.5"). */
export function text(value: Exact): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / unit;
  const fraction = (abs % unit).toString().padStart(scale, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}
