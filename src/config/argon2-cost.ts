// The argon2id cost: what OWASP asks for, what an installation may set, and what a tenant may choose. Shared by the
// hasher, the configuration and the tenant settings, so the three agree on one set of bounds.

/** Parallelism stays 1: the worker pool is the parallelism. */
export interface Argon2Cost { memoryKiB: number; timeCost: number }

/** OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 passes, 1 lane. */
export const OWASP_ARGON2ID: Argon2Cost = Object.freeze({ memoryKiB: 19_456, timeCost: 2 });

/** OWASP's floor: its equivalent settings trade memory for passes down to 7 MiB × 5 (memory × passes ≥ 35,840). */
export const OWASP_MIN_MEMORY_KIB = 7_168;
export const OWASP_MIN_WORK = 35_840;

/** What a tenant may choose: never below OWASP, and never so costly that one sign-in pins a worker for long
 *  (64 MiB × 4 passes is about four times the default). */
export const TENANT_ARGON2_BOUNDS = Object.freeze({ minMemoryKiB: OWASP_MIN_MEMORY_KIB, maxMemoryKiB: 65_536, minTimeCost: 1, maxTimeCost: 10, minWork: OWASP_MIN_WORK, maxWork: 262_144 });

/** What the hasher accepts from the installation: below OWASP only outside production (tests, development). */
export const ARGON2_LIMITS = Object.freeze({ minMemoryKiB: 8, maxMemoryKiB: 262_144, minTimeCost: 1, maxTimeCost: 20 });

/** @returns the setting to raise and why when `cost` is below OWASP's floor, else null */
export function owaspProblem(cost: Argon2Cost): { key: 'ARGON2_MEMORY_KIB' | 'ARGON2_TIME_COST'; problem: string } | null {
  if (cost.memoryKiB < OWASP_MIN_MEMORY_KIB) return { key: 'ARGON2_MEMORY_KIB', problem: `at least ${OWASP_MIN_MEMORY_KIB} KiB` };
  if (cost.memoryKiB * cost.timeCost < OWASP_MIN_WORK) {
    return { key: 'ARGON2_TIME_COST', problem: `memory (KiB) × passes at least ${OWASP_MIN_WORK}, e.g. 19456 × 2 or 7168 × 5` };
  }
  return null;
}
