import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository root (where proto/ lives), found by walking up from this file so it works from
 * TypeScript sources and compiled output alike.
 */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "proto", "tollgate", "v1"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the proto/ directory above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
