// A closed-loop load generator: `concurrency` callers each issue the next call as soon as the
// previous one answers, for `seconds` after a warm-up. Reports calls/s and latency percentiles.
export async function closedLoop({ concurrency, seconds, warmupSeconds = 2, call }) {
  const latencies = [];
  let completed = 0;
  let failed = 0;
  let measuring = false;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const started = performance.now();
      try {
        await call();
        if (measuring) {
          completed++;
          latencies.push(performance.now() - started);
        }
      } catch (error) {
        if (measuring) failed++;
        if (failed > 1000) throw error;
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(workers);
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { rate: completed / elapsed, completed, failed, p50Ms: pct(50), p99Ms: pct(99) };
}

// An open-loop load generator: starts `rate` calls per second whatever the answers' latency
// (as independent clients do), for `seconds` after a warm-up; reports the achieved rate and
// latency percentiles. Latency then includes any queueing the server builds up.
export async function openLoop({ rate, seconds, warmupSeconds = 1, call }) {
  const latencies = [];
  let completed = 0;
  let failed = 0;
  const inFlight = new Set();
  const fire = (measure) => {
    const started = performance.now();
    const p = call().then(
      () => {
        if (measure) {
          completed++;
          latencies.push(performance.now() - started);
        }
      },
      () => {
        if (measure) failed++;
      },
    );
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
  };
  const run = async (durationSeconds, measure) => {
    const t0 = performance.now();
    let sent = 0;
    while (performance.now() - t0 < durationSeconds * 1000) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (sent < due) {
        fire(measure);
        sent++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    return (performance.now() - t0) / 1000;
  };
  await run(warmupSeconds, false);
  const elapsed = await run(seconds, true);
  await Promise.all([...inFlight]);
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { rate: completed / elapsed, completed, failed, p50Ms: pct(50), p99Ms: pct(99) };
}
