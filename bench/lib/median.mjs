/**
 * The run with the median value of `by`: by default its rate (a closed-loop result, a rate
 * result, or a pgbench result).
 */
export function median(runs, by = (run) => run.rate ?? run.tps) {
  const sorted = [...runs].sort((a, b) => by(a) - by(b));
  return sorted[Math.floor(sorted.length / 2)];
}
