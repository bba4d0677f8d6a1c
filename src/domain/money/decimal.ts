import { assert } from "../assert.js";
import { limits } from "../limits.js";
import { err, ok, type Result } from "../result.js";

const scale = limits.decimalScale;
const unit = 10n ** BigInt(scale);
/** Canonical decimal text: sign, digits, optional point with digits. `\d` is ASCII-only without the `u` flag. */
const decimalPattern = /^(-)?(\d+)(?:\.(\d+))?$/;
const zeroCode = 48;

/** Whether `text` is one or more ASCII digits and nothing else. */
function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < zeroCode || c > zeroCode + 9) return false;
  }
  return true;
}

/**
 * How a value that falls between two representable ones is resolved. HALF_EVEN (banker's
 * rounding) is the default everywhere because it has no bias over many roundings.
 */
export type RoundingMode = "HALF_EVEN" | "HALF_UP" | "FLOOR" | "CEIL" | "DOWN";

/** Divides `n` by `d` (> 0) with the chosen rounding. */
function divRound(n: bigint, d: bigint, mode: RoundingMode): bigint {
  assert(d > 0n, "divisor must be positive");
  const q = n / d; // truncates toward zero
  const r = n % d;
  if (r === 0n) return q;
  const negative = n < 0n;
  const away = negative ? q - 1n : q + 1n;
  switch (mode) {
    case "DOWN":
      return q;
    case "FLOOR":
      return negative ? away : q;
    case "CEIL":
      return negative ? q : away;
    case "HALF_UP":
    case "HALF_EVEN": {
      const twice = (negative ? -r : r) * 2n;
      if (twice > d) return away;
      if (twice < d) return q;
      if (mode === "HALF_UP") return away;
      return q % 2n === 0n ? q : away;
    }
  }
}

/**
 * An exact decimal: a bigint count of 10^-18 units (`limits.decimalScale`).
 *
 * - Addition and subtraction are always exact.
 * - Multiplication is exact whenever the true product has at most 18 fractional digits (every
 *   quantity × rate product of real prices does); otherwise it rounds half-even at the 18th digit.
 * - Division rounds half-even at the 18th digit; dividing by zero is an error value.
 * - There is no NaN, no infinity and no negative zero, and no JS `number` is ever involved.
 *
 * Instances are immutable values; compare them with `eq`/`cmp`, never `===`.
 */
export class Decimal {
  static readonly ZERO = new Decimal(0n);
  static readonly ONE = new Decimal(unit);

  /**
   * The canonical text once made, or the parsed text when it was canonical already. Every
   * usage event's quantities and amounts are printed several times on the way to the log
   * (fingerprint, chain hash, the append's columns). A #private field: invisible to structural
   * equality, so two equal values stay equal whether or not either was printed.
   */
  #text: string | undefined;

  // A public readonly field rather than a getter over a private one, so that structural
  // equality (jest's toEqual, node's deepStrictEqual) sees the value.
  private constructor(
    /** The value times 10^18: the raw fixed-point units. */
    readonly units: bigint,
    text?: string,
  ) {
    this.#text = text;
  }

  /**
   * Parses decimal text: an optional "-", one or more digits, and optionally "." followed by one
   * or more digits ("12", "0.5", "-3.25", "007" = 7, "-0" = 0). No exponent, no "+", no spaces,
   * no bare-point forms ("1.", ".5"): amounts on the wire must be unambiguous. More than 18
   * fractional digits is refused rather than rounded, so no input is silently changed.
   */
  static parse(text: string): Result<Decimal, string> {
    if (text.length > limits.decimalLengthMax) return err(`must be at most ${limits.decimalLengthMax} characters, got ${text.length}`);
    // Digits alone (token counts, most quantities): no pattern match, and the text itself is
    // the canonical one unless it has a leading zero.
    if (isDigits(text)) return ok(new Decimal(BigInt(text) * unit, text.length === 1 || text.charCodeAt(0) !== zeroCode ? text : undefined));
    const match = decimalPattern.exec(text);
    if (!match) return err(`must be a decimal number like 12.50, got "${text}"`);
    const [, sign, whole = "0", fraction] = match;
    if (fraction !== undefined && fraction.length > scale) return err(`has more than ${scale} fractional digits: "${text}"`);
    // Whole numbers written with a sign or leading zeros skip the fraction's padding and parse.
    const units = BigInt(whole) * unit + (fraction === undefined ? 0n : BigInt(fraction.padEnd(scale, "0")));
    const canonical = (whole.length === 1 || whole.charCodeAt(0) !== zeroCode) && (fraction === undefined || fraction.charCodeAt(fraction.length - 1) !== zeroCode) && !(sign && units === 0n);
    return ok(new Decimal(sign ? -units : units, canonical ? text : undefined));
  }

  /** The whole number `value`. */
  static fromBigInt(value: bigint): Decimal {
    return new Decimal(value * unit);
  }

  /** A value from raw fixed-point units (value × 10^18), e.g. as stored. */
  static fromUnits(units: bigint): Decimal {
    return new Decimal(units);
  }

  static min(first: Decimal, ...rest: readonly Decimal[]): Decimal {
    return rest.reduce((a, b) => (b.lt(a) ? b : a), first);
  }

  static max(first: Decimal, ...rest: readonly Decimal[]): Decimal {
    return rest.reduce((a, b) => (b.gt(a) ? b : a), first);
  }

  /** Sum of any number of decimals (exact); zero for none. */
  static sum(values: Iterable<Decimal>): Decimal {
    let total = 0n;
    for (const v of values) total += v.units;
    return new Decimal(total);
  }

  plus(other: Decimal): Decimal {
    return new Decimal(this.units + other.units);
  }

  minus(other: Decimal): Decimal {
    return new Decimal(this.units - other.units);
  }

  /**
   * The product, computed exactly at 36 fractional digits and rounded half-even back to 18.
   * Exact whenever the true product has at most 18 fractional digits.
   */
  times(other: Decimal): Decimal {
    return new Decimal(divRound(this.units * other.units, unit, "HALF_EVEN"));
  }

  /** The quotient rounded half-even at 18 fractional digits; dividing by zero is an error value. */
  dividedBy(divisor: Decimal): Result<Decimal, "DIVISION_BY_ZERO"> {
    if (divisor.units === 0n) return err("DIVISION_BY_ZERO");
    // divRound wants a positive divisor: move the divisor's sign onto the numerator.
    const negative = divisor.units < 0n;
    const n = this.units * unit;
    return ok(new Decimal(divRound(negative ? -n : n, negative ? -divisor.units : divisor.units, "HALF_EVEN")));
  }

  negate(): Decimal {
    return new Decimal(-this.units);
  }

  abs(): Decimal {
    return this.units < 0n ? this.negate() : this;
  }

  cmp(other: Decimal): -1 | 0 | 1 {
    return this.units < other.units ? -1 : this.units > other.units ? 1 : 0;
  }
  eq(other: Decimal): boolean {
    return this.units === other.units;
  }
  lt(other: Decimal): boolean {
    return this.units < other.units;
  }
  lte(other: Decimal): boolean {
    return this.units <= other.units;
  }
  gt(other: Decimal): boolean {
    return this.units > other.units;
  }
  gte(other: Decimal): boolean {
    return this.units >= other.units;
  }
  isZero(): boolean {
    return this.units === 0n;
  }
  isNegative(): boolean {
    return this.units < 0n;
  }
  isPositive(): boolean {
    return this.units > 0n;
  }
  isInteger(): boolean {
    return this.units % unit === 0n;
  }

  /** Rounds to `digits` fractional digits (an integer 0..18; anything else is a bug). */
  roundTo(digits: number, mode: RoundingMode = "HALF_EVEN"): Decimal {
    assert(Number.isInteger(digits) && digits >= 0 && digits <= scale, `digits must be an integer 0..${scale}, got ${digits}`);
    const step = 10n ** BigInt(scale - digits);
    return new Decimal(divRound(this.units, step, mode) * step);
  }

  /** The smallest multiple of `step` that is >= this. `step` must be positive (a bug otherwise). */
  ceilToStep(step: Decimal): Decimal {
    assert(step.isPositive(), "step must be positive");
    return new Decimal(divRound(this.units, step.units, "CEIL") * step.units);
  }

  /** The largest multiple of `step` that is <= this. `step` must be positive (a bug otherwise). */
  floorToStep(step: Decimal): Decimal {
    assert(step.isPositive(), "step must be positive");
    return new Decimal(divRound(this.units, step.units, "FLOOR") * step.units);
  }

  /**
   * Canonical text, the inverse of `parse`: no trailing fractional zeros, no "." for integers,
   * never "-0" ("0.0000025", "1200", "-3.5").
   */
  toString(): string {
    return (this.#text ??= this.format());
  }

  private format(): string {
    const negative = this.units < 0n;
    const abs = negative ? -this.units : this.units;
    const whole = abs / unit;
    const rest = abs - whole * unit;
    const sign = negative ? "-" : "";
    if (rest === 0n) return `${sign}${whole}`;
    // Trailing zeros trimmed by hand: this runs for every amount written or sent.
    let fraction = rest.toString().padStart(scale, "0");
    let end = fraction.length;
    while (fraction.charCodeAt(end - 1) === 48) end--;
    fraction = fraction.slice(0, end);
    return `${sign}${whole}.${fraction}`;
  }

  /**
   * Text with exactly `digits` fractional digits, rounded half-even: for presentation only
   * ("12.30"). Named apart from Number#toFixed so a search for float formatting finds no false hits.
   */
  toFixedString(digits: number): string {
    const rounded = this.roundTo(digits);
    const negative = rounded.units < 0n;
    const abs = negative ? -rounded.units : rounded.units;
    const fraction = (abs % unit).toString().padStart(scale, "0").slice(0, digits);
    return `${negative ? "-" : ""}${abs / unit}${digits > 0 ? `.${fraction}` : ""}`;
  }

  /** Decimals travel as their canonical text, never as JSON numbers. */
  toJSON(): string {
    return this.toString();
  }
}
