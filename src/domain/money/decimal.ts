import { assert } from "../assert.js";
import { limits } from "../limits.js";
import { err, ok, type Result } from "../result.js";

const scale = limits.decimalScale;
const unit = 10n ** BigInt(scale);
const decimalPattern = /^(-)?(\d+)(?:\.(\d+))?$/;

export type RoundingMode = "HALF_EVEN" | "HALF_UP" | "FLOOR" | "CEIL" | "DOWN";

/** Divides with the chosen rounding; `d` must be positive. */
function divRound(n: bigint, d: bigint, mode: RoundingMode): bigint {
  assert(d > 0n, "divisor must be positive");
  const q = n / d; // truncates toward zero
  const r = n % d;
  if (r === 0n) return q;
  const negative = n < 0n;
  switch (mode) {
    case "DOWN":
      return q;
    case "FLOOR":
      return negative ? q - 1n : q;
    case "CEIL":
      return negative ? q : q + 1n;
    case "HALF_UP":
    case "HALF_EVEN": {
      const twice = (r < 0n ? -r : r) * 2n;
      const away = negative ? q - 1n : q + 1n;
      if (twice > d) return away;
      if (twice < d) return q;
      if (mode === "HALF_UP") return away;
      return q % 2n === 0n ? q : away;
    }
  }
}

/**
 * An exact decimal: a bigint count of 10^-18 units. Addition and subtraction are always exact;
 * multiplication is exact whenever the true product has at most 18 fractional digits (every
 * quantity × rate product of real prices does) and otherwise rounds half-even; division rounds
 * half-even at 18 digits. There is no NaN, no infinity and no negative zero.
 */
export class Decimal {
  static readonly ZERO = new Decimal(0n);
  static readonly ONE = new Decimal(unit);

  private constructor(
    /** The value times 10^18. */
    readonly units: bigint,
  ) {}

  /**
   * Parses canonical decimal text: optional "-", digits, optional "." and digits ("12", "0.5",
   * "-3.25"). No exponent, "+", spaces or bare "." forms: amounts on the wire must be
   * unambiguous. More than 18 fractional digits is refused rather than rounded.
   */
  static parse(text: string): Result<Decimal, string> {
    if (text.length > limits.decimalLengthMax) return err(`must be at most ${limits.decimalLengthMax} characters`);
    const match = decimalPattern.exec(text);
    if (!match) return err(`must be a decimal number like 12.50, got "${text}"`);
    const [, sign, whole = "0", fraction = ""] = match;
    if (fraction.length > scale) return err(`has more than ${scale} fractional digits: "${text}"`);
    const units = BigInt(whole) * unit + BigInt(fraction.padEnd(scale, "0") || "0");
    return ok(new Decimal(sign && units !== 0n ? -units : units));
  }

  static fromBigInt(value: bigint): Decimal {
    return new Decimal(value * unit);
  }

  static fromUnits(units: bigint): Decimal {
    return new Decimal(units);
  }

  static min(first: Decimal, ...rest: Decimal[]): Decimal {
    return rest.reduce((a, b) => (b.lt(a) ? b : a), first);
  }

  static max(first: Decimal, ...rest: Decimal[]): Decimal {
    return rest.reduce((a, b) => (b.gt(a) ? b : a), first);
  }

  /** Sum of any number of decimals (exact). */
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

  times(other: Decimal): Decimal {
    return new Decimal(divRound(this.units * other.units, unit, "HALF_EVEN"));
  }

  dividedBy(divisor: Decimal): Result<Decimal, "DIVISION_BY_ZERO"> {
    if (divisor.units === 0n) return err("DIVISION_BY_ZERO");
    const negative = divisor.units < 0n;
    const n = this.units * unit * (negative ? -1n : 1n);
    return ok(new Decimal(divRound(n, negative ? -divisor.units : divisor.units, "HALF_EVEN")));
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

  /** Rounds to `digits` fractional digits (0..18). */
  roundTo(digits: number, mode: RoundingMode = "HALF_EVEN"): Decimal {
    assert(Number.isInteger(digits) && digits >= 0 && digits <= scale, `digits must be 0..${scale}`);
    const step = 10n ** BigInt(scale - digits);
    return new Decimal(divRound(this.units, step, mode) * step);
  }

  /** The smallest multiple of `step` (> 0) that is >= this. */
  ceilToStep(step: Decimal): Decimal {
    assert(step.isPositive(), "step must be positive");
    return new Decimal(divRound(this.units, step.units, "CEIL") * step.units);
  }

  /** The largest multiple of `step` (> 0) that is <= this. */
  floorToStep(step: Decimal): Decimal {
    assert(step.isPositive(), "step must be positive");
    return new Decimal(divRound(this.units, step.units, "FLOOR") * step.units);
  }

  /** Canonical text: no trailing fractional zeros, no "." for integers ("0.0000025", "1200", "-3.5"). */
  toString(): string {
    const negative = this.units < 0n;
    const abs = negative ? -this.units : this.units;
    const whole = abs / unit;
    const fraction = (abs % unit).toString().padStart(scale, "0").replace(/0+$/, "");
    return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
  }

  /** Text with exactly `digits` fractional digits, rounded half-even (for presentation). */
  toFixedString(digits: number): string {
    const rounded = this.roundTo(digits);
    const negative = rounded.units < 0n;
    const abs = negative ? -rounded.units : rounded.units;
    const whole = abs / unit;
    const fraction = (abs % unit).toString().padStart(scale, "0").slice(0, digits);
    return `${negative ? "-" : ""}${whole}${digits > 0 ? `.${fraction}` : ""}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
