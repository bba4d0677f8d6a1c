/**
 * Every bound Tollgate enforces, in one place, so the limits are visible and can be reasoned
 * about together. Units and qualifiers come last in each name.
 */
export const limits = {
  /** Longest formula expression accepted at publish, in characters. */
  formulaLengthMax: 4096,
  /** Deepest nesting of a formula's syntax tree (parentheses, calls, operators). */
  formulaDepthMax: 64,
  /** Most syntax-tree nodes in one formula. */
  formulaNodeCountMax: 1000,
  /** Most named rates on one formula. */
  formulaRatesMax: 100,
  /** Most arguments to one formula function call (graduated/volume tiers included). */
  formulaCallArgsMax: 202,
  /** Longest decimal string accepted anywhere (amounts, rates, quantities). */
  decimalLengthMax: 64,
  /** Fractional digits kept by the exact decimal type. */
  decimalScale: 18,
  /** Keys (meters, models, plans, customers, grants, events): length bounds. */
  keyLengthMax: 128,
  displayNameLengthMax: 256,
  unitLengthMax: 64,
  tagsMax: 32,
  tagLengthMax: 64,
  pricesPerPlanVersionMax: 500,
  attributeValueLengthMax: 1024,
  attributeNameLengthMax: 64,
  attributesPerEventMax: 32,
  quantitiesPerEventMax: 64,
  /** Events in one IngestUsage call. */
  ingestBatchMax: 10_000,
  /** Rated events per ListRatedEvents page. */
  pageSizeMax: 1000,
  pageSizeDefault: 100,
  fingerprintLengthMax: 256,
  /**
   * Closed holds a wallet remembers (at least half this many) so a retried settle or release
   * answers as before and a late settle of a lapsed hold is recognised. Older ones are
   * forgotten: the state is snapshotted whole and must stay small. The durable record is the
   * usage log (event ids) and the wallet's own FundsReserved events.
   */
  walletClosedHoldsMax: 64,
  /**
   * Request ids of extensions one hold remembers (the most recent ones), so a retried Extend
   * adds nothing twice. A retry of an older extension than that would add again.
   */
  holdExtensionIdsMax: 64,
  /**
   * How far back (before the start of the newest billing period a wallet has usage in)
   * per-period meter totals are kept for `period.<meter>`: the longest lateness window
   * (latenessWindowDaysMax) plus the longest period (a 31-day month), with a margin, so every
   * period a late event can still be accepted into keeps its totals.
   */
  usagePeriodsKeptDays: 125,
  /** Longest lateness window an operator may configure, in days (within usagePeriodsKeptDays). */
  latenessWindowDaysMax: 90,
  /** Request body limit on both transports, in bytes. */
  requestBytesMax: 4 * 1024 * 1024,
} as const;
