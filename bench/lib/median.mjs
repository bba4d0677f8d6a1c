/** The run with the median rate (a closed-loop result, a rate result, or a pgbench result). */
export function median(runs) {
  const byRate = [...runs].sort((a, b) => (a.rate ?? a.tps) - (b.rate ?? b.tps));
  return byRate[Math.floor(byRate.length / 2)];
}
